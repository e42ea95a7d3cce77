using ControlPlane.Infrastructure.Auth;

namespace ControlPlane.Features.People.Scim;

/// <summary>The <c>scim</c> verbs of the command line.</summary>
public static class ScimCommands
{
    /// <summary><c>scim token create &lt;provider&gt;</c>: a SCIM bearer token for that identity provider, printed once.</summary>
    public static async Task<int> CreateTokenAsync(IServiceProvider services, string provider, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var created = await services.GetRequiredService<ScimTokens>().CreateAsync(Actor.CommandLine, provider, ct);
        if (!created.Succeeded)
        {
            await stderr.WriteLineAsync(created.Error);
            return 1;
        }
        await stdout.WriteLineAsync($"SCIM token for {created.Value!.Token.Provider} (shown once; put it in the provider's SCIM settings as the bearer token):");
        await stdout.WriteLineAsync(created.Value.Plaintext);
        return 0;
    }
}
