using System.Globalization;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Auth;

namespace ControlPlane.Features.Keys;

/// <summary>The <c>keys</c> verbs of the command line.</summary>
public static class KeyCommands
{
    public static async Task<int> CreateAsync(IServiceProvider services, string[] options, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (!TryParseOptions(options, out var values, out var error) || !values.TryGetValue("--team", out var teamName))
        {
            await stderr.WriteLineAsync(error ?? "keys create needs --team <name>.");
            return 2;
        }
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        DateTime? expires = null;
        if (values.TryGetValue("--expires", out var expiresText))
        {
            if (ParseExpiry(expiresText, now) is not { } parsed)
            {
                await stderr.WriteLineAsync($"--expires takes a date (2027-01-31, 2027-01-31T18:00Z) or a number of days (30d); got '{expiresText}'.");
                return 2;
            }
            expires = parsed;
        }

        var team = await services.GetRequiredService<TeamDirectory>().FindByNameAsync(teamName, ct);
        if (team is null)
        {
            await stderr.WriteLineAsync($"No team is named '{teamName}'.");
            return 1;
        }
        var created = await services.GetRequiredService<KeyService>().CreateAsync(Actor.CommandLine, team.Id, values.GetValueOrDefault("--name"), expires, ct);
        if (!created.Succeeded)
        {
            await stderr.WriteLineAsync(created.Error);
            return 1;
        }
        var key = created.Value!.Key;
        await stderr.WriteLineAsync($"Created '{key.Name}' for {team.Name}{(key.ExpiresAt is { } e ? $", expires {e:yyyy-MM-dd HH:mm}Z" : "")}. The key is shown once:");
        await stdout.WriteLineAsync(created.Value.Plaintext);
        return 0;
    }

    public static async Task<int> RevokeAsync(IServiceProvider services, string prefix, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var revoked = await services.GetRequiredService<KeyService>().RevokeByPrefixAsync(Actor.CommandLine, prefix, ct);
        if (!revoked.Succeeded)
        {
            await stderr.WriteLineAsync(revoked.Error == "No key matches." ? $"No key has the prefix '{prefix}'." : revoked.Error);
            return 1;
        }
        await stdout.WriteLineAsync($"Revoked {revoked.Value!.Prefix}… ('{revoked.Value.Name}').");
        return 0;
    }

    /// <summary>"30d" is that many days from now; otherwise an ISO date or time (UTC unless it says otherwise).</summary>
    internal static DateTime? ParseExpiry(string text, DateTime now)
    {
        if (text.EndsWith('d') && int.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var days) && days > 0)
            return now.AddDays(days);
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at.UtcDateTime : null;
    }

    private static bool TryParseOptions(string[] options, out Dictionary<string, string> values, out string? error)
    {
        values = [];
        error = null;
        string[] known = ["--team", "--name", "--expires"];
        for (var i = 0; i < options.Length; i += 2)
        {
            if (!known.Contains(options[i]) || i + 1 >= options.Length)
            {
                error = known.Contains(options[i]) ? $"{options[i]} needs a value." : $"Unknown option '{options[i]}'.";
                return false;
            }
            values[options[i]] = options[i + 1];
        }
        return true;
    }
}
