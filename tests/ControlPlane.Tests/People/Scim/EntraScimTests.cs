using System.Net;
using ControlPlane.Features.People;
using ControlPlane.Tests.Infrastructure;

namespace ControlPlane.Tests.People.Scim;

/// <summary>
/// The requests the Microsoft Entra provisioning service sends (learn.microsoft.com, "Tutorial: Develop and plan
/// provisioning for a SCIM endpoint", request examples; and its SCIM compatibility notes), replayed over HTTP:
/// capitalised ops, "False" as a string, path filters on emails and members, excludedAttributes=members.
/// </summary>
public abstract class EntraScimTests<TApp>(TApp fixture) where TApp : ScimApp
{
    private HttpClient Entra() => fixture.Connector(fixture.EntraToken);

    private static string EntraUser(string userName, string externalId) => $$"""
        {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
         "externalId":"{{externalId}}","userName":"{{userName}}","active":true,
         "emails":[{"primary":true,"type":"work","value":"{{userName}}"}],
         "meta":{"resourceType":"User"},
         "name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},
         "roles":[]}
        """;

    private static string EntraGroup(string name, string externalId) => $$$"""
        {"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
         "externalId":"{{{externalId}}}","displayName":"{{{name}}}","meta":{"resourceType":"Group"}}
        """;

    private static string AddMember(string id) => $$$"""
        {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"name":"addMember","op":"add","path":"members","value":[{"$ref":null,"value":"{{{id}}}"}]}]}
        """;

    private static string RemoveMemberByPath(string id) => $$$"""
        {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members[value eq \"{{{id}}}\"]"}]}
        """;

    [Fact]
    public async Task Entra_queries_by_userName_and_work_email_then_creates_the_user()
    {
        using var entra = Entra();
        var query = await entra.GetScimAsync("/scim/v2/Users?filter=userName+eq+%22Test_User_ab6490ee%40contoso.test%22");
        Assert.Equal(0, query.Body!["totalResults"]!.GetValue<int>());

        var created = await entra.PostScimAsync("/scim/v2/Users", EntraUser("Test_User_ab6490ee@contoso.test", "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"));
        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal("givenName familyName", created.Body!["name"]!["formatted"]!.GetValue<string>());

        var byEmail = await entra.GetScimAsync("/scim/v2/Users?filter=emails%5Btype+eq+%22work%22%5D.value+eq+%22test_user_ab6490ee%40contoso.test%22");
        Assert.Equal(created.Id, byEmail.Body!["Resources"]![0]!["id"]!.GetValue<string>());
        var byExternalId = await entra.GetScimAsync("/scim/v2/Users?filter=externalId+eq+%220a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef%22");
        Assert.Equal(1, byExternalId.Body!["totalResults"]!.GetValue<int>());
        Assert.Equal("givenName familyName", (await fixture.PersonAsync("Test_User_ab6490ee@contoso.test")).DisplayName);
    }

    [Fact]
    public async Task Entra_updates_the_work_email_and_name_by_path()
    {
        using var entra = Entra();
        var id = (await entra.PostScimAsync("/scim/v2/Users", EntraUser("renamer@contoso.test", "ext-renamer"))).Id;

        var patched = await entra.PatchScimAsync($"/scim/v2/Users/{id}", """
            {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
              {"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@contoso.test"},
              {"op":"Replace","path":"name.familyName","value":"updatedFamilyName"},
              {"op":"Add","path":"name.givenName","value":"Ann"},
              {"op":"Add","path":"title","value":"Engineer"}]}
            """);

        Assert.Equal(HttpStatusCode.OK, patched.Status);
        Assert.Equal("updatedEmail@contoso.test", patched.Body!["emails"]![0]!["value"]!.GetValue<string>());
        Assert.Equal("updatedFamilyName", patched.Body["name"]!["familyName"]!.GetValue<string>());
        Assert.Equal("Ann updatedFamilyName", (await fixture.PersonAsync("renamer@contoso.test")).DisplayName);
    }

    [Fact]
    public async Task Entra_disable_with_active_as_the_string_False_ends_the_persons_signed_in_session_at_once()
    {
        using var entra = Entra();
        var id = (await entra.PostScimAsync("/scim/v2/Users", EntraUser("leaver@contoso.test", "ext-leaver"))).Id;
        var group = (await entra.PostScimAsync("/scim/v2/Groups", EntraGroup("cp-finance", "ext-finance"))).Id;
        await entra.PatchScimAsync($"/scim/v2/Groups/{group}", AddMember(id));
        using var browser = fixture.App.CreateBrowserClient();
        await browser.SignInAsync("leaver@contoso.test");
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/prices")).StatusCode);

        var disabled = await entra.PatchScimAsync($"/scim/v2/Users/{id}", """
            {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}
            """);

        Assert.Equal(HttpStatusCode.OK, disabled.Status);
        Assert.False(disabled.Body!["active"]!.GetValue<bool>());
        var after = await browser.GetAsync("/prices");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.Equal("/sign-in", new Uri(new Uri("http://localhost"), after.Headers.Location!).AbsolutePath);
        var person = await fixture.PersonAsync("leaver@contoso.test");
        Assert.False(person.IsActive);

        // Group pushes keep coming for a disabled person: they stay off.
        var other = (await entra.PostScimAsync("/scim/v2/Groups", EntraGroup("cp-admins", "ext-admins"))).Id;
        await entra.PatchScimAsync($"/scim/v2/Groups/{other}", AddMember(id));
        Assert.False((await fixture.PersonAsync("leaver@contoso.test")).IsActive);

        // DELETE: gone for SCIM, still off here, history kept.
        Assert.Equal(HttpStatusCode.NoContent, (await entra.DeleteScimAsync($"/scim/v2/Users/{id}")).Status);
        ScimCalls.AssertScimError(await entra.GetScimAsync($"/scim/v2/Users/{id}"), HttpStatusCode.NotFound, null);
        Assert.False((await fixture.PersonAsync("leaver@contoso.test")).IsActive);
        Assert.Contains("scim.user_deleted", await fixture.AuditActionsAsync($"scim-user:{id}"));
    }

    [Fact]
    public async Task Entra_group_member_add_and_remove_by_path_filter_change_the_role_and_the_team()
    {
        using var entra = Entra();
        var id = (await entra.PostScimAsync("/scim/v2/Users", EntraUser("platform.lead@contoso.test", "ext-platform-lead"))).Id;
        var lookup = await entra.GetScimAsync("/scim/v2/Groups?excludedAttributes=members&filter=displayName+eq+%22cp-platform-leads%22");
        Assert.Equal(0, lookup.Body!["totalResults"]!.GetValue<int>());
        var leads = (await entra.PostScimAsync("/scim/v2/Groups", EntraGroup("cp-platform-leads", "ext-platform-leads"))).Id;
        var admins = (await entra.PostScimAsync("/scim/v2/Groups", EntraGroup("cp-admins-2", "ext-admins-2"))).Id;

        Assert.Equal(HttpStatusCode.NoContent, (await entra.PatchScimAsync($"/scim/v2/Groups/{leads}", AddMember(id))).Status);
        var person = await fixture.PersonAsync("platform.lead@contoso.test");
        Assert.Equal((Roles.TeamLead, true), (person.Role, person.IsActive));
        Assert.Equal("Lead", await fixture.TeamRoleAsync("platform.lead@contoso.test", "Platform"));

        await entra.PatchScimAsync($"/scim/v2/Groups/{admins}", AddMember(id));
        Assert.Equal(Roles.Admin, (await fixture.PersonAsync("platform.lead@contoso.test")).Role);
        var withoutMembers = await entra.GetScimAsync($"/scim/v2/Groups/{admins}?excludedAttributes=members");
        Assert.Null(withoutMembers.Body!["members"]);

        Assert.Equal(HttpStatusCode.NoContent, (await entra.PatchScimAsync($"/scim/v2/Groups/{admins}", RemoveMemberByPath(id))).Status);
        Assert.Equal(Roles.TeamLead, (await fixture.PersonAsync("platform.lead@contoso.test")).Role);
        await entra.PatchScimAsync($"/scim/v2/Groups/{leads}", RemoveMemberByPath(id));
        Assert.Null(await fixture.TeamRoleAsync("platform.lead@contoso.test", "Platform"));
        Assert.False((await fixture.PersonAsync("platform.lead@contoso.test")).IsActive);

        // Entra renames a group by path.
        await entra.PatchScimAsync($"/scim/v2/Groups/{admins}", """
            {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"displayName","value":"Contoso Admins"}]}
            """);
        Assert.Equal("Contoso Admins", (await entra.GetScimAsync($"/scim/v2/Groups/{admins}")).Body!["displayName"]!.GetValue<string>());
    }
}

public sealed class EntraScimTests_on_Sqlite(ScimSqliteApp f) : EntraScimTests<ScimSqliteApp>(f), IClassFixture<ScimSqliteApp>;

public sealed class EntraScimTests_on_Postgres(ScimPostgresApp f) : EntraScimTests<ScimPostgresApp>(f), IClassFixture<ScimPostgresApp>;
