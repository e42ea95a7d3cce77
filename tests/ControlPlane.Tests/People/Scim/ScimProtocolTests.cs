using System.Net;
using ControlPlane.Features.People.Scim;
using ControlPlane.Infrastructure.Auth;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.People.Scim;

/// <summary>What every SCIM client meets whatever it sends: the token check, SCIM errors for what cannot be read, discovery.</summary>
public abstract class ScimProtocolTests<TApp>(TApp fixture) where TApp : ScimApp
{
    private const string ValidUser = """{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"valid@proto.test","active":true}""";

    [Fact]
    public async Task A_missing_wrong_or_revoked_token_gets_a_SCIM_401_and_is_audited_without_the_token()
    {
        var revoked = await fixture.CreateTokenAsync("okta");
        var tokenId = await fixture.App.WithScopeAsync(async sp => (await sp.GetRequiredService<ScimTokens>().ListAsync()).Single(t => revoked.StartsWith(t.Prefix, StringComparison.Ordinal)).Id);
        using (var before = fixture.Connector(revoked))
            Assert.Equal(HttpStatusCode.OK, (await before.GetScimAsync("/scim/v2/Users")).Status);
        var revocation = await fixture.App.WithScopeAsync(async sp => await sp.GetRequiredService<ScimTokens>().RevokeAsync(Actor.CommandLine, tokenId));
        Assert.True(revocation.Succeeded);

        using var anonymous = fixture.App.CreateClient(new() { AllowAutoRedirect = false });
        foreach (var client in new[] { anonymous, fixture.Connector("scim-not-a-real-token"), fixture.Connector(revoked) })
        {
            var refused = await client.GetScimAsync("/scim/v2/Users");
            ScimCalls.AssertScimError(refused, HttpStatusCode.Unauthorized, null);
            var write = await client.PostScimAsync("/scim/v2/Users", ValidUser);
            Assert.Equal(HttpStatusCode.Unauthorized, write.Status);
        }
        await using var db = fixture.App.OpenDb();
        var entries = await db.AuditEntries.AsNoTracking().Where(e => e.Action == "scim.token_refused").ToListAsync();
        Assert.True(entries.Count >= 6);
        Assert.All(entries, e => Assert.DoesNotContain(revoked, e.Details + e.Target + e.Actor, StringComparison.Ordinal));
        Assert.All(entries, e => Assert.DoesNotContain("scim-not-a-real-token", e.Details + e.Target + e.Actor, StringComparison.Ordinal));
        Assert.False(await db.Set<ScimUser>().AnyAsync(u => u.UserName == "valid@proto.test"));
        Assert.NotNull((await db.Set<ScimToken>().SingleAsync(t => t.Id == tokenId)).LastUsedAt);
        // Only the hash is stored.
        Assert.False(await db.Set<ScimToken>().AnyAsync(t => t.Hash == revoked || t.Prefix == revoked));
    }

    [Fact]
    public async Task One_providers_token_neither_sees_nor_changes_another_providers_people()
    {
        using var okta = fixture.Connector(fixture.OktaToken);
        using var entra = fixture.Connector(fixture.EntraToken);
        var id = (await okta.PostScimAsync("/scim/v2/Users", """{"userName":"okta.only@proto.test"}""")).Id;

        Assert.Equal(0, (await entra.GetScimAsync("/scim/v2/Users?filter=userName%20eq%20%22okta.only%40proto.test%22")).Body!["totalResults"]!.GetValue<int>());
        ScimCalls.AssertScimError(await entra.GetScimAsync($"/scim/v2/Users/{id}"), HttpStatusCode.NotFound, null);
        ScimCalls.AssertScimError(await entra.PatchScimAsync($"/scim/v2/Users/{id}", """{"Operations":[{"op":"replace","value":{"active":false}}]}"""), HttpStatusCode.NotFound, null);
        Assert.True((await okta.GetScimAsync($"/scim/v2/Users/{id}")).Body!["active"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Malformed_bodies_and_filters_get_SCIM_400_errors_and_change_nothing()
    {
        using var okta = fixture.Connector(fixture.OktaToken);
        var id = (await okta.PostScimAsync("/scim/v2/Users", """{"userName":"target@proto.test"}""")).Id;

        ScimCalls.AssertScimError(await okta.PostScimAsync("/scim/v2/Users", """{"userName": "broken@proto.test", """), HttpStatusCode.BadRequest, "invalidSyntax");
        ScimCalls.AssertScimError(await okta.PostScimAsync("/scim/v2/Users", """["not","an","object"]"""), HttpStatusCode.BadRequest, "invalidSyntax");
        ScimCalls.AssertScimError(await okta.PostScimAsync("/scim/v2/Users", ""), HttpStatusCode.BadRequest, "invalidSyntax");
        ScimCalls.AssertScimError(await okta.PostScimAsync("/scim/v2/Users", """{"name":{"givenName":"No"}}"""), HttpStatusCode.BadRequest, "invalidValue");
        ScimCalls.AssertScimError(await okta.PostScimAsync("/scim/v2/Users", """{"userName":42}"""), HttpStatusCode.BadRequest, "invalidValue");
        ScimCalls.AssertScimError(await okta.PatchScimAsync($"/scim/v2/Users/{id}", """{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}"""), HttpStatusCode.BadRequest, "invalidSyntax");
        ScimCalls.AssertScimError(await okta.PatchScimAsync($"/scim/v2/Users/{id}", """{"Operations":[{"op":"merge","path":"active","value":false}]}"""), HttpStatusCode.BadRequest, "invalidSyntax");
        ScimCalls.AssertScimError(await okta.PatchScimAsync($"/scim/v2/Users/{id}", """{"Operations":[{"op":"replace","path":"active","value":"nope"}]}"""), HttpStatusCode.BadRequest, "invalidValue");
        ScimCalls.AssertScimError(await okta.PatchScimAsync($"/scim/v2/Users/{id}", """{"Operations":[{"op":"replace","value":"active=false"}]}"""), HttpStatusCode.BadRequest, "invalidSyntax");
        ScimCalls.AssertScimError(await okta.GetScimAsync("/scim/v2/Users?filter=userName%20sw%20%22t%22"), HttpStatusCode.BadRequest, "invalidFilter");
        ScimCalls.AssertScimError(await okta.GetScimAsync("/scim/v2/Users?filter=title%20eq%20%22boss%22"), HttpStatusCode.BadRequest, "invalidFilter");
        var group = (await okta.PostScimAsync("/scim/v2/Groups", """{"displayName":"proto-group"}""")).Id;
        ScimCalls.AssertScimError(await okta.PatchScimAsync($"/scim/v2/Groups/{group}", """{"Operations":[{"op":"add","path":"members","value":[{"value":"not-a-guid"}]}]}"""), HttpStatusCode.BadRequest, "invalidValue");
        ScimCalls.AssertScimError(await okta.PatchScimAsync($"/scim/v2/Groups/{group}", """{"Operations":[{"op":"add","path":"owners","value":"x"}]}"""), HttpStatusCode.BadRequest, "invalidPath");
        ScimCalls.AssertScimError(await okta.PostScimAsync("/scim/v2/Groups", """{"members":[]}"""), HttpStatusCode.BadRequest, "invalidValue");
        ScimCalls.AssertScimError(await okta.GetScimAsync("/scim/v2/Users/not-an-id"), HttpStatusCode.NotFound, null);

        var user = await okta.GetScimAsync($"/scim/v2/Users/{id}");
        Assert.True(user.Body!["active"]!.GetValue<bool>());
        Assert.Equal(0, (await okta.GetScimAsync("/scim/v2/Users?filter=userName%20eq%20%22broken%40proto.test%22")).Body!["totalResults"]!.GetValue<int>());
    }

    [Fact]
    public async Task Discovery_says_what_the_service_supports()
    {
        using var okta = fixture.Connector(fixture.OktaToken);
        var config = await okta.GetScimAsync("/scim/v2/ServiceProviderConfig");
        Assert.Equal(ScimSchemas.ContentType, config.ContentType);
        Assert.True(config.Body!["patch"]!["supported"]!.GetValue<bool>());
        Assert.False(config.Body["bulk"]!["supported"]!.GetValue<bool>());
        Assert.Equal("oauthbearertoken", config.Body["authenticationSchemes"]![0]!["type"]!.GetValue<string>());
        var types = await okta.GetScimAsync("/scim/v2/ResourceTypes");
        Assert.Equal(["/Users", "/Groups"], types.Body!["Resources"]!.AsArray().Select(r => r!["endpoint"]!.GetValue<string>()));
        var schemas = await okta.GetScimAsync("/scim/v2/Schemas");
        Assert.Equal([ScimSchemas.User, ScimSchemas.Group], schemas.Body!["Resources"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()));
    }
}

public sealed class ScimProtocolTests_on_Sqlite(ScimSqliteApp f) : ScimProtocolTests<ScimSqliteApp>(f), IClassFixture<ScimSqliteApp>;

public sealed class ScimProtocolTests_on_Postgres(ScimPostgresApp f) : ScimProtocolTests<ScimPostgresApp>(f), IClassFixture<ScimPostgresApp>;
