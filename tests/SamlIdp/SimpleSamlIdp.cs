using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace ControlPlane.Testing.Saml;

/// <summary>A person the test IdP knows, with the attributes it asserts (uid is the persistent NameID).</summary>
public sealed record SamlTestUser(string UserName, string Password, string Email, string DisplayName, params string[] Groups);

/// <summary>
/// A real SAML 2.0 IdP for tests: Debian's SimpleSAMLphp 1.19 on PHP's built-in server at 127.0.0.1 (a free port),
/// configured in a temp folder with exampleauth users, a self-signed RSA-2048 signing key made here (its private key is
/// <see cref="SigningCertificate"/>, so tests can sign crafted Responses as this IdP would) and the service providers
/// the test registers with <see cref="TrustServiceProvider"/>. Linked into tests/ControlPlane.Tests and the e2e project.
/// CI installs it (.ci/run: simplesamlphp php8.2-xml php8.2-mbstring).
/// </summary>
public sealed class SimpleSamlIdp : IAsyncDisposable
{
    public const string WebRoot = "/usr/share/simplesamlphp/www";
    public const string DefaultConfig = "/etc/simplesamlphp";

    public static readonly SamlTestUser Alice = new("alice", "alice-pass", "alice@acme.test", "Alice Admin", "cp-admins", "engineering");
    public static readonly SamlTestUser Frank = new("frank", "frank-pass", "frank@acme.test", "Frank Finance", "cp-finance");
    public static readonly SamlTestUser Nora = new("nora", "nora-pass", "nora@acme.test", "Nora Nobody", "marketing");

    private readonly string _folder;
    private readonly Process _php;
    private readonly StringBuilder _output = new();
    private readonly Dictionary<string, List<string>> _serviceProviders = new(StringComparer.Ordinal);

    private SimpleSamlIdp(string folder, Uri baseUrl, X509Certificate2 signing, Process php)
    {
        _folder = folder;
        BaseUrl = baseUrl;
        SigningCertificate = signing;
        _php = php;
    }

    public Uri BaseUrl { get; }
    public string MetadataUrl => new Uri(BaseUrl, "saml2/idp/metadata.php").AbsoluteUri;
    /// <summary>SimpleSAMLphp names a hosted IdP by its metadata URL.</summary>
    public string EntityId => MetadataUrl;
    /// <summary>The IdP's signing certificate with its private key.</summary>
    public X509Certificate2 SigningCertificate { get; }

    public string Output { get { lock (_output) return _output.ToString(); } }

    public static bool IsInstalled => File.Exists(Path.Combine(WebRoot, "saml2/idp/SSOService.php")) && FindPhp() is not null;

    public static async Task<SimpleSamlIdp> StartAsync(IEnumerable<SamlTestUser>? users = null)
    {
        var php = FindPhp();
        if (php is null || !File.Exists(Path.Combine(WebRoot, "saml2/idp/SSOService.php")))
            throw new InvalidOperationException("SimpleSAMLphp is not installed: apt-get install -y simplesamlphp php8.2-xml php8.2-mbstring (.ci/run does).");
        var folder = Directory.CreateTempSubdirectory("cp-saml-idp-").FullName;
        var port = FreePort();
        var baseUrl = new Uri($"http://127.0.0.1:{port}/");
        var signing = WriteSigningKey(folder);
        WriteConfig(folder, baseUrl, users ?? [Alice, Frank, Nora]);

        var start = new ProcessStartInfo(php) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = folder };
        foreach (var arg in new[] { "-d", $"session.save_path={Path.Combine(folder, "sessions")}", "-d", "display_errors=stderr", "-S", $"127.0.0.1:{port}", "-t", WebRoot })
            start.ArgumentList.Add(arg);
        start.Environment["SIMPLESAMLPHP_CONFIG_DIR"] = Path.Combine(folder, "config");
        var process = new Process { StartInfo = start };
        var idp = new SimpleSamlIdp(folder, baseUrl, signing, process);
        process.OutputDataReceived += (_, e) => idp.Append(e.Data);
        process.ErrorDataReceived += (_, e) => idp.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await idp.WaitUntilReadyAsync();
        return idp;
    }

    /// <summary>Lets a service provider (our app) sign in through this IdP; ACS URLs add up across calls (several nodes).</summary>
    public void TrustServiceProvider(string entityId, params string[] acsUrls)
    {
        lock (_serviceProviders)
        {
            if (!_serviceProviders.TryGetValue(entityId, out var known)) _serviceProviders[entityId] = known = [];
            known.AddRange(acsUrls.Where(u => !known.Contains(u)));
            var php = new StringBuilder("<?php\n");
            foreach (var (id, urls) in _serviceProviders)
            {
                php.Append($"$metadata[{Quote(id)}] = [\n  'AssertionConsumerService' => [\n");
                for (var i = 0; i < urls.Count; i++)
                    php.Append($"    ['Binding' => 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', 'Location' => {Quote(urls[i])}, 'index' => {i}],\n");
                php.Append("  ],\n  'NameIDFormat' => 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',\n  'simplesaml.nameidattribute' => 'uid',\n];\n");
            }
            File.WriteAllText(Path.Combine(_folder, "config/metadata/saml20-sp-remote.php"), php.ToString());
        }
    }

    private static X509Certificate2 WriteSigningKey(string folder)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=ControlPlane test IdP", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        // Fixed validity (metadata certificates are trusted as keys, not by their dates): nothing depends on today.
        using var certificate = request.CreateSelfSigned(new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2099, 1, 1, 0, 0, 0, TimeSpan.Zero));
        File.WriteAllText(Path.Combine(folder, "idp.key"), rsa.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(Path.Combine(folder, "idp.crt"), certificate.ExportCertificatePem());
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    private static void WriteConfig(string folder, Uri baseUrl, IEnumerable<SamlTestUser> users)
    {
        var config = Path.Combine(folder, "config");
        CopyFolder(DefaultConfig, config);
        foreach (var sub in new[] { "config/metadata", "data", "log", "tmp", "sessions" })
            Directory.CreateDirectory(Path.Combine(folder, sub));
        string Dir(string sub) => Quote(Path.Combine(folder, sub) + "/");
        // Appended to Debian's config.php: later assignments win.
        File.AppendAllText(Path.Combine(config, "config.php"), $$"""

            $config['baseurlpath'] = {{Quote(baseUrl.AbsoluteUri)}};
            $config['certdir'] = {{Dir("")}};
            $config['loggingdir'] = {{Dir("log")}};
            $config['datadir'] = {{Dir("data")}};
            $config['tempdir'] = {{Quote(Path.Combine(folder, "tmp"))}};
            $config['metadatadir'] = {{Dir("config/metadata")}};
            $config['metadata.sources'] = [['type' => 'flatfile', 'directory' => {{Dir("config/metadata")}}]];
            $config['enable.saml20-idp'] = true;
            $config['secretsalt'] = {{Quote(Convert.ToHexString(RandomNumberGenerator.GetBytes(16)))}};
            $config['auth.adminpassword'] = {{Quote(Convert.ToHexString(RandomNumberGenerator.GetBytes(16)))}};
            $config['logging.handler'] = 'errorlog';
            $config['logging.level'] = SimpleSAML\Logger::WARNING;
            $config['session.cookie.secure'] = false;
            // Its default, SameSite=None, needs Secure in Chromium; loopback ports are one site, so Lax reaches it.
            $config['session.cookie.samesite'] = 'Lax';
            $config['module.enable']['exampleauth'] = true;

            """);
        var sources = new StringBuilder("<?php\n$config = [\n  'admin' => ['core:AdminPassword'],\n  'example-userpass' => ['exampleauth:UserPass',\n");
        foreach (var user in users)
            sources.Append($"    {Quote($"{user.UserName}:{user.Password}")} => ['uid' => [{Quote(user.UserName)}], 'email' => [{Quote(user.Email)}], 'displayName' => [{Quote(user.DisplayName)}], 'groups' => [{string.Join(", ", user.Groups.Select(Quote))}]],\n");
        sources.Append("  ],\n];\n");
        File.WriteAllText(Path.Combine(config, "authsources.php"), sources.ToString());
        File.WriteAllText(Path.Combine(config, "metadata/saml20-idp-hosted.php"), $$"""
            <?php
            $metadata['__DYNAMIC:1__'] = [
              'host' => '__DEFAULT__',
              'privatekey' => {{Quote(Path.Combine(folder, "idp.key"))}},
              'certificate' => {{Quote(Path.Combine(folder, "idp.crt"))}},
              'auth' => 'example-userpass',
              'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
              'saml20.sign.response' => true,
              'saml20.sign.assertion' => true,
            ];
            """);
        File.WriteAllText(Path.Combine(config, "metadata/saml20-sp-remote.php"), "<?php\n");
    }

    private async Task WaitUntilReadyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (_php.HasExited) throw new InvalidOperationException($"SimpleSAMLphp exited with {_php.ExitCode}:\n{Output}");
            try
            {
                using var response = await http.GetAsync(MetadataUrl);
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { /* not listening yet */ }
            await Task.Delay(100);
        }
        throw new TimeoutException($"SimpleSAMLphp did not serve its metadata within 30 s:\n{Output}");
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    private static string Quote(string value) => "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";

    private static readonly string[] PhpPaths = ["/usr/bin/php", "/usr/bin/php8.2", "/usr/local/bin/php"];

    private static string? FindPhp() => PhpPaths.FirstOrDefault(File.Exists);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var sub in Directory.GetDirectories(from)) CopyFolder(sub, Path.Combine(to, Path.GetFileName(sub)));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_php.HasExited)
            {
                _php.Kill(entireProcessTree: true);
                await _php.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException) { /* never started */ }
        _php.Dispose();
        SigningCertificate.Dispose();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { /* a file still open */ }
    }
}
