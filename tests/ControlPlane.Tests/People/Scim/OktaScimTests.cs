using System.Net;
using ControlPlane.Features.People;
using ControlPlane.Features.People.Scim;
using ControlPlane.Tests.Infrastructure;

namespace ControlPlane.Tests.People.Scim;

/// <summary>
/// The requests Okta's SCIM 2.0 client sends (developer.okta.com, "Okta and SCIM Version 2.0"), replayed over HTTP:
/// look the user up by userName, create them, push groups, deactivate with a value object, remove group members.
/// </summary>
public abstract class OktaScimTests<TApp>(TApp fixture) where TApp : ScimApp
{
    private HttpClient Okta() => fixture.Connector(fixture.OktaToken);

    private static string OktaUser(string userName, string given, string family, string externalId) => $$"""
        {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"{{userName}}",
         "name":{"givenName":"{{given}}","familyName":"{{family}}"},
         "emails":[{"primary":true,"value":"{{userName}}","type":"work"}],
         "displayName":"{{given}} {{family}}","locale":"en-US","externalId":"{{externalId}}","groups":[],"password":"1mz050nq","active":true}
        """;

    private static async Task<string> CreateGroupAsync(HttpClient okta, string name, params string[] members)
    {
        var list = string.Join(",", members.Select(m => $$"""{"value":"{{m}}","display":"x"}"""));
        var created = await okta.PostScimAsync("/scim/v2/Groups", $$"""{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"{{name}}","members":[{{list}}]}""");
        Assert.Equal(HttpStatusCode.Created, created.Status);
        return created.Id;
    }

    [Fact]
    public async Task Okta_looks_the_user_up_by_userName_then_creates_them()
    {
        using var okta = Okta();
        var lookup = await okta.GetScimAsync("/scim/v2/Users?filter=userName%20eq%20%22test.user%40okta.test%22&startIndex=1&count=100");
        Assert.Equal(HttpStatusCode.OK, lookup.Status);
        Assert.Equal(ScimSchemas.ContentType, lookup.ContentType);
        Assert.Equal(0, lookup.Body!["totalResults"]!.GetValue<int>());

        var created = await okta.PostScimAsync("/scim/v2/Users", OktaUser("test.user@okta.test", "Test", "User", "00ujl29u0le5T6Aj10h7"));
        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal(ScimSchemas.ContentType, created.ContentType);
        Assert.Equal("test.user@okta.test", created.Body!["userName"]!.GetValue<string>());
        Assert.True(created.Body["active"]!.GetValue<bool>());
        Assert.EndsWith($"/scim/v2/Users/{created.Id}", created.Location!.ToString(), StringComparison.Ordinal);

        var found = await okta.GetScimAsync("/scim/v2/Users?filter=userName%20eq%20%22TEST.USER%40okta.test%22&startIndex=1&count=100");
        Assert.Equal(1, found.Body!["totalResults"]!.GetValue<int>());
        Assert.Equal(created.Id, found.Body["Resources"]![0]!["id"]!.GetValue<string>());
        var byExternalId = await okta.GetScimAsync("/scim/v2/Users?filter=externalId%20eq%20%2200ujl29u0le5T6Aj10h7%22");
        Assert.Equal(created.Id, byExternalId.Body!["Resources"]![0]!["id"]!.GetValue<string>());
        Assert.Equal(created.Body.ToJsonString(), (await okta.GetScimAsync($"/scim/v2/Users/{created.Id}")).Body!.ToJsonString());

        // Here: a person now, switched off until a group gives them a role.
        var person = await fixture.PersonAsync("test.user@okta.test");
        Assert.Equal("Test User", person.DisplayName);
        Assert.False(person.IsActive);
        Assert.Contains("scim.user_created", await fixture.AuditActionsAsync($"scim-user:{created.Id}"));

        // The same userName again is a conflict, as RFC 7644 says and Okta expects.
        var again = await okta.PostScimAsync("/scim/v2/Users", OktaUser("test.user@okta.test", "Test", "User", "00ujl29u0le5T6Aj10h7"));
        ScimCalls.AssertScimError(again, HttpStatusCode.Conflict, "uniqueness");
    }

    [Fact]
    public async Task Okta_pushing_a_mapped_group_gives_the_role_and_paging_walks_the_users()
    {
        using var okta = Okta();
        var ids = new List<string>();
        foreach (var n in Enumerable.Range(1, 3))
            ids.Add((await okta.PostScimAsync("/scim/v2/Users", OktaUser($"pager{n}@okta.test", "Pager", $"N{n}", $"00upager{n}"))).Id);
        await CreateGroupAsync(okta, "cp-finance-3", ids[0]);
        Assert.Equal((Roles.FinanceAdmin, true), await RoleAsync("pager1@okta.test"));
        Assert.Equal((Roles.Member, false), await RoleAsync("pager2@okta.test"));

        var first = await okta.GetScimAsync("/scim/v2/Users?startIndex=1&count=2");
        var rest = await okta.GetScimAsync("/scim/v2/Users?startIndex=3&count=2");
        var total = first.Body!["totalResults"]!.GetValue<int>();
        Assert.True(total >= 3);
        Assert.Equal(2, first.Body["itemsPerPage"]!.GetValue<int>());
        Assert.Equal(3, rest.Body!["startIndex"]!.GetValue<int>());
        Assert.Equal(Math.Min(2, total - 2), rest.Body["Resources"]!.AsArray().Count);
    }

    [Fact]
    public async Task Okta_deactivation_with_a_value_object_ends_the_persons_signed_in_session_at_once()
    {
        using var okta = Okta();
        var id = (await okta.PostScimAsync("/scim/v2/Users", OktaUser("leaving@okta.test", "Lea", "Ving", "00uleaving"))).Id;
        await CreateGroupAsync(okta, "cp-admins-2", id);
        using var browser = fixture.App.CreateBrowserClient();
        await browser.SignInAsync("leaving@okta.test");
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/providers")).StatusCode);

        var patched = await okta.PatchScimAsync($"/scim/v2/Users/{id}", """
            {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}
            """);

        Assert.Equal(HttpStatusCode.OK, patched.Status);
        Assert.False(patched.Body!["active"]!.GetValue<bool>());
        Assert.False((await fixture.PersonAsync("leaving@okta.test")).IsActive);
        var after = await browser.GetAsync("/providers");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.Equal("/sign-in", new Uri(new Uri("http://localhost"), after.Headers.Location!).AbsolutePath);
        Assert.Contains("scim.user_patched", await fixture.AuditActionsAsync($"scim-user:{id}"));

        // Okta reactivates the same way: back on, with the role the groups give.
        await okta.PatchScimAsync($"/scim/v2/Users/{id}", """{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":true}}]}""");
        Assert.Equal((Roles.Admin, true), await RoleAsync("leaving@okta.test"));
    }

    [Fact]
    public async Task Okta_group_add_and_remove_with_a_value_list_change_the_role()
    {
        using var okta = Okta();
        var id = (await okta.PostScimAsync("/scim/v2/Users", OktaUser("mover@okta.test", "Mo", "Ver", "00umover"))).Id;
        var finance = await CreateGroupAsync(okta, "cp-finance");
        var admins = await CreateGroupAsync(okta, "cp-admins");

        var added = await okta.PatchScimAsync($"/scim/v2/Groups/{finance}", $$"""
            {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"{{id}}","display":"mover@okta.test"}]}]}
            """);
        Assert.Equal(HttpStatusCode.NoContent, added.Status);
        Assert.Equal((Roles.FinanceAdmin, true), await RoleAsync("mover@okta.test"));

        await okta.PatchScimAsync($"/scim/v2/Groups/{admins}", $$"""
            {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"{{id}}","display":"mover@okta.test"}]}]}
            """);
        Assert.Equal((Roles.Admin, true), await RoleAsync("mover@okta.test"));
        var group = await okta.GetScimAsync($"/scim/v2/Groups/{admins}");
        Assert.Equal(id, group.Body!["members"]![0]!["value"]!.GetValue<string>());

        await okta.PatchScimAsync($"/scim/v2/Groups/{admins}", $$"""
            {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members","value":[{"value":"{{id}}","display":"mover@okta.test"}]}]}
            """);
        Assert.Equal((Roles.FinanceAdmin, true), await RoleAsync("mover@okta.test"));
        await okta.PatchScimAsync($"/scim/v2/Groups/{finance}", $$"""
            {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members","value":[{"value":"{{id}}"}]}]}
            """);
        // No mapped group left: no access.
        Assert.False((await fixture.PersonAsync("mover@okta.test")).IsActive);
        Assert.Contains("scim.group_patched", await fixture.AuditActionsAsync($"scim-group:{finance}"));
    }

    [Fact]
    public async Task Okta_renaming_a_group_with_a_value_object_remaps_its_members_and_deleting_it_removes_their_access()
    {
        using var okta = Okta();
        var id = (await okta.PostScimAsync("/scim/v2/Users", OktaUser("renamed@okta.test", "Re", "Named", "00urenamed"))).Id;
        var group = await CreateGroupAsync(okta, "Okta Finance", id);
        Assert.False((await fixture.PersonAsync("renamed@okta.test")).IsActive);

        var renamed = await okta.PatchScimAsync($"/scim/v2/Groups/{group}", $$$"""
            {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"id":"{{{group}}}","displayName":"cp-finance-2"}}]}
            """);
        Assert.Equal(HttpStatusCode.NoContent, renamed.Status);
        var byName = await okta.GetScimAsync("/scim/v2/Groups?filter=displayName%20eq%20%22cp-finance-2%22");
        Assert.Equal(group, byName.Body!["Resources"]![0]!["id"]!.GetValue<string>());
        Assert.Equal((Roles.FinanceAdmin, true), await RoleAsync("renamed@okta.test"));

        await okta.PutScimAsync($"/scim/v2/Groups/{group}", $$"""
            {"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"cp-auditors","members":[{"value":"{{id}}"}]}
            """);
        Assert.Equal("cp-auditors", (await okta.GetScimAsync($"/scim/v2/Groups/{group}")).Body!["displayName"]!.GetValue<string>());
        Assert.Equal((Roles.Auditor, true), await RoleAsync("renamed@okta.test"));

        Assert.Equal(HttpStatusCode.NoContent, (await okta.DeleteScimAsync($"/scim/v2/Groups/{group}")).Status);
        ScimCalls.AssertScimError(await okta.GetScimAsync($"/scim/v2/Groups/{group}"), HttpStatusCode.NotFound, null);
        Assert.Contains("scim.group_deleted", await fixture.AuditActionsAsync($"scim-group:{group}"));
        Assert.False((await fixture.PersonAsync("renamed@okta.test")).IsActive);
    }

    private async Task<(string Role, bool Active)> RoleAsync(string email)
    {
        var person = await fixture.PersonAsync(email);
        return (person.Role, person.IsActive);
    }
}

public sealed class OktaScimTests_on_Sqlite(ScimSqliteApp f) : OktaScimTests<ScimSqliteApp>(f), IClassFixture<ScimSqliteApp>;

public sealed class OktaScimTests_on_Postgres(ScimPostgresApp f) : OktaScimTests<ScimPostgresApp>(f), IClassFixture<ScimPostgresApp>;
