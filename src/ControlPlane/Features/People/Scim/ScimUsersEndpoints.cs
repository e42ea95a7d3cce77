using System.Text.Json.Nodes;

namespace ControlPlane.Features.People.Scim;

/// <summary>/scim/v2/Users: create, get, list with filter and paging, replace, patch, delete.</summary>
public static class ScimUsersEndpoints
{
    public static RouteGroupBuilder MapScimUsers(this RouteGroupBuilder scim)
    {
        scim.MapPost("/Users", CreateAsync);
        scim.MapGet("/Users", ListAsync);
        scim.MapGet("/Users/{id}", GetAsync);
        scim.MapPut("/Users/{id}", ReplaceAsync);
        scim.MapPatch("/Users/{id}", PatchAsync);
        scim.MapDelete("/Users/{id}", DeleteAsync);
        return scim;
    }

    private static async Task<IResult> CreateAsync(HttpContext http, ScimPeople people)
    {
        var body = await ScimRequest.ReadObjectAsync(http.Request, http.RequestAborted);
        var user = await people.CreateAsync(ScimEndpoints.ProviderOf(http), body, http.RequestAborted);
        var json = ScimUserResource.ToJson(user, ScimEndpoints.BaseUrl(http.Request));
        return ScimResults.Json(json, StatusCodes.Status201Created, json["meta"]!["location"]!.GetValue<string>());
    }

    private static async Task<IResult> ListAsync(HttpContext http, ScimPeople people)
    {
        var filter = ScimFilter.Parse(http.Request.Query["filter"]);
        var (start, count) = ScimEndpoints.Paging(http.Request);
        var (total, page) = await people.ListAsync(ScimEndpoints.ProviderOf(http), filter, start, count, http.RequestAborted);
        var baseUrl = ScimEndpoints.BaseUrl(http.Request);
        return ScimResults.Json(ListResponse(total, start, [.. page.Select(u => (JsonNode)ScimUserResource.ToJson(u, baseUrl))]));
    }

    private static async Task<IResult> GetAsync(HttpContext http, ScimPeople people, string id) =>
        ScimResults.Json(ScimUserResource.ToJson(await people.GetAsync(ScimEndpoints.ProviderOf(http), IdOf(id, "User"), http.RequestAborted), ScimEndpoints.BaseUrl(http.Request)));

    private static async Task<IResult> ReplaceAsync(HttpContext http, ScimPeople people, string id)
    {
        var body = await ScimRequest.ReadObjectAsync(http.Request, http.RequestAborted);
        var user = await people.ReplaceAsync(ScimEndpoints.ProviderOf(http), IdOf(id, "User"), body, http.RequestAborted);
        return ScimResults.Json(ScimUserResource.ToJson(user, ScimEndpoints.BaseUrl(http.Request)));
    }

    private static async Task<IResult> PatchAsync(HttpContext http, ScimPeople people, string id)
    {
        var body = await ScimRequest.ReadObjectAsync(http.Request, http.RequestAborted);
        var user = await people.PatchAsync(ScimEndpoints.ProviderOf(http), IdOf(id, "User"), body, http.RequestAborted);
        return ScimResults.Json(ScimUserResource.ToJson(user, ScimEndpoints.BaseUrl(http.Request)));
    }

    private static async Task<IResult> DeleteAsync(HttpContext http, ScimPeople people, string id)
    {
        await people.DeleteAsync(ScimEndpoints.ProviderOf(http), IdOf(id, "User"), http.RequestAborted);
        return ScimResults.NoContent();
    }

    /// <summary>Ids are ours (GUIDs); anything else names no resource here.</summary>
    public static Guid IdOf(string id, string resource) =>
        Guid.TryParse(id, out var guid) ? guid : throw ScimException.NotFound($"{resource} {id} not found.");

    public static JsonObject ListResponse(int total, int start, JsonArray resources) => new()
    {
        ["schemas"] = new JsonArray(ScimSchemas.ListResponse),
        ["totalResults"] = total,
        ["startIndex"] = start,
        ["itemsPerPage"] = resources.Count,
        ["Resources"] = resources,
    };
}
