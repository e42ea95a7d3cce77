using System.Text.Json.Nodes;

namespace ControlPlane.Features.People.Scim;

/// <summary>/scim/v2/Groups: create, get, list with filter and paging, replace, patch (members, displayName), delete.</summary>
public static class ScimGroupsEndpoints
{
    public static RouteGroupBuilder MapScimGroups(this RouteGroupBuilder scim)
    {
        scim.MapPost("/Groups", CreateAsync);
        scim.MapGet("/Groups", ListAsync);
        scim.MapGet("/Groups/{id}", GetAsync);
        scim.MapPut("/Groups/{id}", ReplaceAsync);
        scim.MapPatch("/Groups/{id}", PatchAsync);
        scim.MapDelete("/Groups/{id}", DeleteAsync);
        return scim;
    }

    private static async Task<IResult> CreateAsync(HttpContext http, ScimGroups groups)
    {
        var body = await ScimRequest.ReadObjectAsync(http.Request, http.RequestAborted);
        var (group, members) = await groups.CreateAsync(ScimEndpoints.ProviderOf(http), body, http.RequestAborted);
        var json = ScimGroupResource.ToJson(group, members, ScimEndpoints.BaseUrl(http.Request));
        return ScimResults.Json(json, StatusCodes.Status201Created, json["meta"]!["location"]!.GetValue<string>());
    }

    private static async Task<IResult> ListAsync(HttpContext http, ScimGroups groups)
    {
        var filter = ScimFilter.Parse(http.Request.Query["filter"]);
        var (start, count) = ScimEndpoints.Paging(http.Request);
        // Entra asks with excludedAttributes=members when it only wants to know whether a group exists.
        var withMembers = !ExcludesMembers(http.Request);
        var (total, page) = await groups.ListAsync(ScimEndpoints.ProviderOf(http), filter, start, count, withMembers, http.RequestAborted);
        var baseUrl = ScimEndpoints.BaseUrl(http.Request);
        return ScimResults.Json(ScimUsersEndpoints.ListResponse(total, start,
            [.. page.Select(g => (JsonNode)ScimGroupResource.ToJson(g.Group, withMembers ? g.Members : null, baseUrl))]));
    }

    private static async Task<IResult> GetAsync(HttpContext http, ScimGroups groups, string id)
    {
        var (group, members) = await groups.GetAsync(ScimEndpoints.ProviderOf(http), ScimUsersEndpoints.IdOf(id, "Group"), http.RequestAborted);
        return ScimResults.Json(ScimGroupResource.ToJson(group, ExcludesMembers(http.Request) ? null : members, ScimEndpoints.BaseUrl(http.Request)));
    }

    private static async Task<IResult> ReplaceAsync(HttpContext http, ScimGroups groups, string id)
    {
        var body = await ScimRequest.ReadObjectAsync(http.Request, http.RequestAborted);
        var provider = ScimEndpoints.ProviderOf(http);
        var groupId = ScimUsersEndpoints.IdOf(id, "Group");
        await groups.ReplaceAsync(provider, groupId, body, http.RequestAborted);
        var (group, members) = await groups.GetAsync(provider, groupId, http.RequestAborted);
        return ScimResults.Json(ScimGroupResource.ToJson(group, members, ScimEndpoints.BaseUrl(http.Request)));
    }

    /// <summary>204 No Content, as Okta's and Entra's group pushes expect.</summary>
    private static async Task<IResult> PatchAsync(HttpContext http, ScimGroups groups, string id)
    {
        var body = await ScimRequest.ReadObjectAsync(http.Request, http.RequestAborted);
        await groups.PatchAsync(ScimEndpoints.ProviderOf(http), ScimUsersEndpoints.IdOf(id, "Group"), body, http.RequestAborted);
        return ScimResults.NoContent();
    }

    private static async Task<IResult> DeleteAsync(HttpContext http, ScimGroups groups, string id)
    {
        await groups.DeleteAsync(ScimEndpoints.ProviderOf(http), ScimUsersEndpoints.IdOf(id, "Group"), http.RequestAborted);
        return ScimResults.NoContent();
    }

    private static bool ExcludesMembers(HttpRequest request) =>
        request.Query["excludedAttributes"].ToString().Split(',').Any(a => a.Trim().Equals("members", StringComparison.OrdinalIgnoreCase));
}
