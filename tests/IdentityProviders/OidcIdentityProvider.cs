using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ControlPlane.IdentityProviders;

/// <summary>
/// A real OpenID provider for the sign-in tests: node <c>oidc-provider</c> (tests/IdentityProviders/oidc/server.js)
/// on a free port of 127.0.0.1, with one confidential client for the app and people whose groups differ. Its signing
/// key is made here, so attack tests can mint tokens with it (or deliberately without it). Linked into both
/// ControlPlane.Tests and ControlPlane.E2E; needs `npm ci --prefix tests/IdentityProviders/oidc` (.ci/run does it).
/// </summary>
public sealed class OidcIdentityProvider : IAsyncDisposable
{
    public const string ClientId = "controlplane";
    public const string ClientSecret = "controlplane-test-secret";
    public const string KeyId = "test-signing-key-1";

    /// <summary>The groups the role mapping rules of these tests name (see <see cref="RoleMappings"/>).</summary>
    public const string Admins = "cp-admins", Finance = "cp-finance", PlatformLeads = "platform-leads", Everyone = "everyone";

    /// <summary>Login at the provider's form → e-mail, name, groups.</summary>
    public static IReadOnlyDictionary<string, (string Email, string Name, string[] Groups)> People { get; } =
        new Dictionary<string, (string, string, string[])>
        {
            ["ada"] = ("ada.admin@corp.test", "Ada Admin", [Admins, Everyone]),
            ["fern"] = ("fern.finance@corp.test", "Fern Finance", [Finance, Everyone]),
            // A demo person (Leo Lead): linked by e-mail on first sign-in.
            ["leo"] = ("leo.lead@acme.test", "Leo Lead", [PlatformLeads, Everyone]),
            ["nobody"] = ("nobody@corp.test", "No Body", [Everyone]),
        };

    private readonly Process _process;
    private readonly string _configFile;
    private readonly StringBuilder _output = new();

    private OidcIdentityProvider(Process process, string configFile, RSA signingKey)
    {
        _process = process;
        _configFile = configFile;
        SigningKey = signingKey;
    }

    /// <summary>The issuer (and Authority), e.g. http://127.0.0.1:41234.</summary>
    public Uri Issuer { get; private set; } = default!;

    /// <summary>The provider's private signing key (RS256, <see cref="KeyId"/>).</summary>
    public RSA SigningKey { get; }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>Role mapping rules for the groups above, as configuration keys (Auth:RoleMappings:Rules:n:…).</summary>
    public static Dictionary<string, string?> RoleMappings() => new()
    {
        ["Auth:RoleMappings:Rules:0:Group"] = Admins, ["Auth:RoleMappings:Rules:0:Role"] = "Admin",
        ["Auth:RoleMappings:Rules:1:Group"] = Finance, ["Auth:RoleMappings:Rules:1:Role"] = "FinanceAdmin",
        ["Auth:RoleMappings:Rules:2:Group"] = PlatformLeads, ["Auth:RoleMappings:Rules:2:Team"] = "Platform",
        ["Auth:RoleMappings:Rules:2:TeamRole"] = "Lead",
    };

    /// <summary>The app's settings for this provider under <c>Auth:Oidc:{name}</c>.</summary>
    public Dictionary<string, string?> AppSettings(string name, string displayName) => new()
    {
        [$"Auth:Oidc:{name}:DisplayName"] = displayName,
        [$"Auth:Oidc:{name}:Authority"] = Issuer.ToString().TrimEnd('/'),
        [$"Auth:Oidc:{name}:ClientId"] = ClientId,
        [$"Auth:Oidc:{name}:ClientSecret"] = ClientSecret,
        [$"Auth:Oidc:{name}:Scopes:0"] = "groups",
        [$"Auth:Oidc:{name}:RequireHttpsMetadata"] = "false",
    };

    /// <summary>Starts the provider for an app at <paramref name="app"/> whose provider is named <paramref name="name"/>.</summary>
    public static async Task<OidcIdentityProvider> StartAsync(Uri app, string name)
    {
        var folder = Path.Combine(RepositoryRoot(), "tests", "IdentityProviders", "oidc");
        if (!Directory.Exists(Path.Combine(folder, "node_modules", "oidc-provider")))
            throw new InvalidOperationException($"oidc-provider is not installed: run `npm ci --prefix {folder}` (.ci/run does).");
        var key = RSA.Create(2048);
        var parameters = key.ExportParameters(includePrivateParameters: true);
        var baseUrl = app.ToString().TrimEnd('/');
        var config = new
        {
            port = 0,
            clients = new[]
            {
                new
                {
                    client_id = ClientId, client_secret = ClientSecret,
                    redirect_uris = new[] { $"{baseUrl}/signin-oidc-{name}" },
                    post_logout_redirect_uris = new[] { $"{baseUrl}/signout-callback-oidc-{name}" },
                },
            },
            jwks = new
            {
                keys = new[]
                {
                    new Dictionary<string, string>
                    {
                        ["kty"] = "RSA", ["kid"] = KeyId, ["use"] = "sig", ["alg"] = "RS256",
                        ["n"] = B64(parameters.Modulus!), ["e"] = B64(parameters.Exponent!), ["d"] = B64(parameters.D!),
                        ["p"] = B64(parameters.P!), ["q"] = B64(parameters.Q!), ["dp"] = B64(parameters.DP!),
                        ["dq"] = B64(parameters.DQ!), ["qi"] = B64(parameters.InverseQ!),
                    },
                },
            },
            accounts = People.ToDictionary(p => p.Key, p => new { email = p.Value.Email, name = p.Value.Name, groups = p.Value.Groups }),
        };
        var configFile = Path.Combine(Path.GetTempPath(), $"cp-oidc-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(configFile, JsonSerializer.Serialize(config));

        var start = new ProcessStartInfo("node") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("server.js");
        start.ArgumentList.Add(configFile);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var provider = new OidcIdentityProvider(process, configFile, key);
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            provider.Append(e.Data);
            if (e.Data.StartsWith("listening ", StringComparison.Ordinal)) listening.TrySetResult(new Uri(e.Data["listening ".Length..]));
        };
        process.ErrorDataReceived += (_, e) => provider.Append(e.Data);
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"The OIDC provider exited.\n{provider.Output}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            provider.Issuer = await listening.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch
        {
            await provider.DisposeAsync();
            throw;
        }
        return provider;
    }

    /// <summary>Changes someone's groups at the provider, as an administrator would in Okta or Entra.</summary>
    public async Task SetGroupsAsync(string login, params string[] groups)
    {
        using var http = new HttpClient();
        using var response = await http.PutAsJsonAsync(new Uri(Issuer, $"/test/accounts/{login}"), new { groups });
        response.EnsureSuccessStatusCode();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // never started or already gone
        }
        _process.Dispose();
        SigningKey.Dispose();
        File.Delete(_configFile);
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ControlPlane.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No ControlPlane.sln above {AppContext.BaseDirectory}.");
    }
}
