using ControlPlane.Features.SignInSettings;

namespace ControlPlane.Tests.SignInSettings;

/// <summary>How the "who would get what" preview reads a pasted claim set or group list.</summary>
public sealed class PreviewInputTests
{
    private static ConfiguredProvider Provider(string protocol, params (string Key, string Value)[] settings) =>
        new("acme", protocol, "Acme", [.. settings.Select(s => KeyValuePair.Create(s.Key, s.Value))]);

    [Fact]
    public void The_groups_name_is_the_providers_claim_or_attribute_and_groups_when_unset()
    {
        Assert.Equal("roles", PreviewInput.GroupsNameOf(Provider(ConfiguredProviders.Oidc, ("GroupsClaim", "roles"))));
        Assert.Equal("memberOf", PreviewInput.GroupsNameOf(Provider(ConfiguredProviders.Saml, ("GroupsAttribute", "memberOf"))));
        Assert.Equal("groups", PreviewInput.GroupsNameOf(Provider(ConfiguredProviders.Saml, ("GroupsClaim", "ignored-for-saml"))));
        Assert.Equal("groups", PreviewInput.GroupsNameOf(Provider(ConfiguredProviders.Oidc)));
    }

    [Fact]
    public void A_claim_set_gives_its_groups_as_a_list_or_a_single_value()
    {
        Assert.Equal(["a", "b"], PreviewInput.FromJson("""{"groups": ["a", "b"]}""", "groups").Groups);
        Assert.Equal(["a"], PreviewInput.FromJson("""{"groups": "a"}""", "groups").Groups);
        var missing = PreviewInput.FromJson("""{"email": "x@acme.test"}""", "groups");
        Assert.Empty(missing.Groups);
        Assert.Null(missing.Problem);
        Assert.Contains("no 'groups' claim", missing.Note, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"groups\": [", "not valid JSON")]
    [InlineData("[\"a\"]", "must be a JSON object")]
    [InlineData("{\"groups\": {\"a\": 1}}", "must be a string or a list")]
    [InlineData("  ", "Paste a JSON claim set")]
    public void Input_that_gives_no_groups_says_why(string text, string problem) =>
        Assert.Contains(problem, PreviewInput.FromJson(text, "groups").Problem, StringComparison.Ordinal);

    [Fact]
    public void A_list_takes_one_group_a_line_or_comma_separated_without_blanks_or_repeats() =>
        Assert.Equal(["cp-admins", "cp-finance", "x"], PreviewInput.FromList("cp-admins\n\n cp-finance , x\r\nCP-ADMINS").Groups);
}
