using ControlPlane.Features.Keys;
using ControlPlane.Features.People;
using ControlPlane.Features.People.Scim;
using ControlPlane.Infrastructure.Data;

namespace ControlPlane.Infrastructure.Cli;

/// <summary>
/// Verbs of the same binary, for operators and scripts: <c>migrate</c>, <c>keys create</c>, <c>keys revoke</c>.
/// With no verb the binary serves the app.
/// </summary>
public static class CommandLine
{
    public const string Help = """
        ControlPlane: the AI spend control plane.

        Usage:
          ControlPlane                         serve the app (gateway and dashboard)
          ControlPlane migrate                 apply database migrations and exit
          ControlPlane keys create --team <name> [--name <key name>] [--expires <date | 30d>]
                                               create a virtual API key; prints the key once
          ControlPlane keys revoke <prefix>    revoke the key whose prefix is given (e.g. cp-live-ab12cd34)
          ControlPlane users sign-out <email>  end every session of that person (they must sign in again)
          ControlPlane seed --calls <N> [--days <D>]
                                               fill the call log with N calls of realistic history over the last D days (90)
          ControlPlane scim token create <provider>
                                               create a SCIM bearer token for that identity provider; prints it once
          ControlPlane owner create <email> <name>
                                               make that person an Owner (creating them, and the organisation on a
                                               fresh install) and print a one-time sign-in link (break-glass too)
          ControlPlane audit key               print the audit chain keys (secret) for an outside verifier
          ControlPlane audit verify --file <export.json> --key-file <keys>
                                               re-verify an audit export offline (docs/audit-verify.md)
          ControlPlane --help                  show this text

        The database comes from configuration as for the app: appsettings.json, or environment variables
        such as Database__Provider=Postgres and Database__ConnectionString="Host=...".
        Exit codes: 0 done, 1 refused (the message says why), 2 wrong usage.
        """;

    private static readonly string[] Verbs = ["migrate", "keys", "users", "owner", "seed", "scim", "audit", "help", "--help", "-h"];

    /// <summary>True when the arguments name a verb rather than host settings.</summary>
    public static bool IsVerb(string[] args) => args is [var first, ..] && Verbs.Contains(first);

    public static async Task<int> RunAsync(IServiceProvider services, string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct = default)
    {
        switch (args)
        {
            case ["migrate"]:
                var applied = await DatabaseStartup.MigrateAsync(services, ct);
                await stdout.WriteLineAsync(applied.Count == 0 ? "The database is up to date." : $"Applied {applied.Count} migration(s): {string.Join(", ", applied)}.");
                return 0;
            case ["keys", "create", .. var options]:
                return await WithScope(services, s => KeyCommands.CreateAsync(s, options, stdout, stderr, ct));
            case ["keys", "revoke", var prefix]:
                return await WithScope(services, s => KeyCommands.RevokeAsync(s, prefix, stdout, stderr, ct));
            case ["users", "sign-out", var email]:
                return await WithScope(services, s => PeopleCommands.SignOutEverywhereAsync(s, email, stdout, stderr, ct));
            case ["seed", .. var seedOptions]:
                return await WithScope(services, s => Features.CallSeed.SeedCommand.RunAsync(s, seedOptions, stdout, stderr, ct));
            case ["scim", "token", "create", var provider]:
                return await WithScope(services, s => ScimCommands.CreateTokenAsync(s, provider, stdout, stderr, ct));
            case ["owner", "create", var email, var name]:
                return await WithScope(services, s => PeopleCommands.CreateOwnerAsync(s, email, name, stdout, stderr, ct));
            case ["audit", "key"]:
                return await Features.Audit.AuditCommands.PrintKeysAsync(services, stdout);
            case ["audit", "verify", .. var verifyOptions]:
                return await Features.Audit.AuditCommands.VerifyAsync(verifyOptions, stdout, stderr, ct);
            case ["help" or "--help" or "-h", ..]:
                await stdout.WriteLineAsync(Help);
                return 0;
            default:
                await stderr.WriteLineAsync($"Unknown command: {string.Join(' ', args)}");
                await stderr.WriteLineAsync(Help);
                return 2;
        }
    }

    private static async Task<int> WithScope(IServiceProvider services, Func<IServiceProvider, Task<int>> run)
    {
        await using var scope = services.CreateAsyncScope();
        return await run(scope.ServiceProvider);
    }
}
