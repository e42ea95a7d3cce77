using System.Net;
using ControlPlane.Infrastructure.Cli;

namespace ControlPlane.Tests.People.Scim;

/// <summary><c>scim token create &lt;provider&gt;</c>: the token is printed once and the provider's connector can use it.</summary>
public sealed class ScimCommandTests(ScimSqliteApp fixture) : IClassFixture<ScimSqliteApp>
{
    [Fact]
    public async Task The_scim_token_create_verb_prints_a_working_token_once_and_refuses_an_unknown_provider()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        Assert.True(CommandLine.IsVerb(["scim", "token", "create", "okta"]));
        var exit = await CommandLine.RunAsync(fixture.App.Services, ["scim", "token", "create", "okta"], stdout, stderr);

        Assert.Equal(0, exit);
        var token = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Single(l => l.StartsWith("scim-", StringComparison.Ordinal));
        using var okta = fixture.Connector(token);
        Assert.Equal(HttpStatusCode.OK, (await okta.GetScimAsync("/scim/v2/Users")).Status);

        using var refusedOut = new StringWriter();
        using var refusedErr = new StringWriter();
        Assert.Equal(1, await CommandLine.RunAsync(fixture.App.Services, ["scim", "token", "create", "nobody"], refusedOut, refusedErr));
        Assert.Contains("No identity provider is configured as 'nobody'", refusedErr.ToString(), StringComparison.Ordinal);
        Assert.Equal("", refusedOut.ToString());
    }
}
