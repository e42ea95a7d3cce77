using ControlPlane.Infrastructure.Auth;

namespace ControlPlane.Features.People;

/// <summary>The <c>users</c> verbs of the command line.</summary>
public static class PeopleCommands
{
    /// <summary><c>users sign-out &lt;email&gt;</c>: ends every session of the person, as an Owner would on the dashboard.</summary>
    public static async Task<int> SignOutEverywhereAsync(IServiceProvider services, string email, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var people = services.GetRequiredService<PeopleDirectory>();
        var person = (await people.ListAsync(ct)).FirstOrDefault(u => string.Equals(u.Email, email, StringComparison.OrdinalIgnoreCase));
        if (person is null)
        {
            await stderr.WriteLineAsync($"No one signs in as '{email}'.");
            return 1;
        }
        var ended = await people.SignOutEverywhereAsync(Actor.CommandLine, person.Id, ct);
        if (!ended.Succeeded)
        {
            await stderr.WriteLineAsync(ended.Error);
            return 1;
        }
        await stdout.WriteLineAsync($"Every session of {person.Email} is ended; they must sign in again.");
        return 0;
    }

    /// <summary>
    /// <c>owner create &lt;email&gt; &lt;name&gt;</c>: the first Owner of a fresh install, or break-glass access when
    /// the identity provider is down or misconfigured. Creates (or promotes) the Owner and prints a one-time sign-in link.
    /// Migrates the database first, so it works before the app has ever started.
    /// </summary>
    public static async Task<int> CreateOwnerAsync(IServiceProvider services, string email, string name, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        await ControlPlane.Infrastructure.Data.DatabaseStartup.MigrateAsync(services, ct);
        var people = services.GetRequiredService<PeopleDirectory>();
        var owner = await people.CreateOwnerAsync(Actor.CommandLine, email, name, ct);
        if (!owner.Succeeded)
        {
            await stderr.WriteLineAsync(owner.Error);
            return 1;
        }
        var link = await services.GetRequiredService<SignInLinks>().IssueAsync(Actor.CommandLine, owner.Value!.Id, ct);
        if (!link.Succeeded)
        {
            await stderr.WriteLineAsync(link.Error);
            return 1;
        }
        var publicUrl = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SignInLinkOptions>>().Value.PublicUrl;
        var address = publicUrl is { Length: > 0 } ? publicUrl.TrimEnd('/') + link.Value!.Path : link.Value!.Path;
        await stdout.WriteLineAsync($"{owner.Value.Email} is an Owner. Their one-time sign-in link (works once, until {link.Value.ExpiresAt:yyyy-MM-dd HH:mm} UTC):");
        await stdout.WriteLineAsync(address);
        if (publicUrl is not { Length: > 0 })
            await stdout.WriteLineAsync("Open it on the app's own address (set Auth:SignInLinks:PublicUrl to print the whole link).");
        return 0;
    }
}
