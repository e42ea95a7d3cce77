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
}
