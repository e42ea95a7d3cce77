using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ControlPlane.Features.People;
using ControlPlane.Features.People.Scim;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.People.Scim;

/// <summary>
/// The real app with two identity providers configured (okta, entra), role mapping rules for their groups, and one SCIM
/// token each, created through the service as an Owner would. Sessions are re-read on every request (RevalidateSeconds 0).
/// </summary>
public abstract class ScimApp(DatabaseProvider provider) : IAsyncLifetime
{
    public AppFactory App { get; private set; } = default!;
    public string OktaToken { get; private set; } = "";
    public string EntraToken { get; private set; } = "";

    public static Dictionary<string, string?> Settings { get; } = new()
    {
        ["Auth:RevalidateSeconds"] = "0",
        // Never contacted by these tests: SCIM only needs the providers to exist.
        ["Auth:Oidc:okta:DisplayName"] = "Okta",
        ["Auth:Oidc:okta:Authority"] = "https://127.0.0.1:9/oauth2/default",
        ["Auth:Oidc:okta:ClientId"] = "controlplane",
        ["Auth:Oidc:okta:ClientSecret"] = "okta-client-secret",
        ["Auth:Oidc:entra:DisplayName"] = "Microsoft Entra ID",
        ["Auth:Oidc:entra:Authority"] = "https://127.0.0.1:9/tenant/v2.0",
        ["Auth:Oidc:entra:ClientId"] = "controlplane",
        ["Auth:Oidc:entra:ClientSecret"] = "entra-client-secret",
        ["Auth:RoleMappings:Rules:0:Group"] = "cp-admins",
        ["Auth:RoleMappings:Rules:0:Role"] = Roles.Admin,
        ["Auth:RoleMappings:Rules:1:Group"] = "cp-finance",
        ["Auth:RoleMappings:Rules:1:Role"] = Roles.FinanceAdmin,
        ["Auth:RoleMappings:Rules:2:Group"] = "cp-platform-leads",
        ["Auth:RoleMappings:Rules:2:Team"] = "Platform",
        ["Auth:RoleMappings:Rules:2:TeamRole"] = "Lead",
        ["Auth:RoleMappings:Rules:3:Group"] = "cp-admins-2",
        ["Auth:RoleMappings:Rules:3:Role"] = Roles.Admin,
        ["Auth:RoleMappings:Rules:4:Group"] = "cp-finance-2",
        ["Auth:RoleMappings:Rules:4:Role"] = Roles.FinanceAdmin,
        ["Auth:RoleMappings:Rules:5:Group"] = "cp-finance-3",
        ["Auth:RoleMappings:Rules:5:Role"] = Roles.FinanceAdmin,
        ["Auth:RoleMappings:Rules:6:Group"] = "cp-auditors",
        ["Auth:RoleMappings:Rules:6:Role"] = Roles.Auditor,
    };

    public async Task InitializeAsync()
    {
        App = new AppFactory(await TestDatabase.CreateAsync(provider), settings: Settings);
        _ = App.Server;
        OktaToken = await CreateTokenAsync("okta");
        EntraToken = await CreateTokenAsync("entra");
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await App.Database.DisposeAsync();
    }

    public Task<string> CreateTokenAsync(string identityProvider) =>
        App.WithScopeAsync(async sp => (await sp.GetRequiredService<ScimTokens>().CreateAsync(Actor.CommandLine, identityProvider)).Value!.Plaintext);

    /// <summary>An HTTP client as the identity provider's SCIM connector: its bearer token, SCIM media types.</summary>
    public HttpClient Connector(string token)
    {
        var client = App.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = false });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue(ScimSchemas.ContentType));
        return client;
    }

    public async Task<User> PersonAsync(string email)
    {
        await using var db = App.OpenDb();
        return await db.Users.AsNoTracking().SingleAsync(u => u.Email == email);
    }

    public async Task<string?> TeamRoleAsync(string email, string team)
    {
        await using var db = App.OpenDb();
        return await (from m in db.TeamMemberships
                      join t in db.Teams on m.TeamId equals t.Id
                      join u in db.Users on m.UserId equals u.Id
                      where u.Email == email && t.Name == team
                      select m.Role).FirstOrDefaultAsync();
    }

    public async Task<List<string>> AuditActionsAsync(string targetStart)
    {
        await using var db = App.OpenDb();
        return await db.AuditEntries.AsNoTracking().Where(e => e.Target.StartsWith(targetStart)).OrderBy(e => e.Sequence).Select(e => e.Action).ToListAsync();
    }
}

public sealed class ScimSqliteApp() : ScimApp(DatabaseProvider.Sqlite);

public sealed class ScimPostgresApp() : ScimApp(DatabaseProvider.Postgres);

/// <summary>A SCIM exchange: the status and the JSON body (null when there is none).</summary>
public sealed record ScimReply(HttpStatusCode Status, JsonNode? Body, string? ContentType, Uri? Location)
{
    public string Id => Body!["id"]!.GetValue<string>();
}

public static class ScimCalls
{
    public static async Task<ScimReply> SendAsync(this HttpClient client, HttpMethod method, string url, string? json = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, ScimSchemas.ContentType);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (text.Length > 0 && text[0] is not ('{' or '[')) throw new InvalidOperationException($"{method} {url} answered {(int)response.StatusCode}: {text[..Math.Min(3000, text.Length)]}");
        return new ScimReply(response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), response.Content.Headers.ContentType?.MediaType, response.Headers.Location);
    }

    public static Task<ScimReply> GetScimAsync(this HttpClient client, string url) => client.SendAsync(HttpMethod.Get, url);
    public static Task<ScimReply> PostScimAsync(this HttpClient client, string url, string json) => client.SendAsync(HttpMethod.Post, url, json);
    public static Task<ScimReply> PatchScimAsync(this HttpClient client, string url, string json) => client.SendAsync(HttpMethod.Patch, url, json);
    public static Task<ScimReply> PutScimAsync(this HttpClient client, string url, string json) => client.SendAsync(HttpMethod.Put, url, json);
    public static Task<ScimReply> DeleteScimAsync(this HttpClient client, string url) => client.SendAsync(HttpMethod.Delete, url);

    /// <summary>Asserts a SCIM error body (RFC 7644 §3.12) with this status and scimType.</summary>
    public static void AssertScimError(ScimReply reply, HttpStatusCode status, string? scimType)
    {
        Assert.Equal(status, reply.Status);
        Assert.Equal(ScimSchemas.ContentType, reply.ContentType);
        Assert.Equal(ScimSchemas.Error, reply.Body!["schemas"]![0]!.GetValue<string>());
        Assert.Equal(((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture), reply.Body["status"]!.GetValue<string>());
        Assert.Equal(scimType, reply.Body["scimType"]?.GetValue<string>());
    }
}
