using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using Xunit;

namespace ControlPlane.E2E;

/// <summary>
/// The real app as a separate process: the built ControlPlane.dll on a free local port, Development (so dev sign-in
/// exists and static web assets resolve from the project folder), SQLite in a fresh temp folder, demo data seeded.
/// Nothing is referenced from src: the solution must be built first (CI builds it before testing).
/// </summary>
public sealed class RunningApp : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly StringBuilder output = new();
    private readonly string dataDir = Path.Combine(Path.GetTempPath(), $"cp-e2e-{Guid.NewGuid():N}");
    private Process? process;

    /// <summary>
    /// More settings, which may depend on the app's own address (an identity provider registers its redirect URIs),
    /// given as configuration keys ("Auth:Oidc:x:Authority"); they override the defaults below.
    /// </summary>
    public Func<Uri, Task<IReadOnlyDictionary<string, string?>>>? SettingsFor { get; init; }

    public Uri BaseUrl { get; private set; } = default!;

    /// <summary>Where the repository is: the nearest folder above the test assembly that holds ControlPlane.sln.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>What the app wrote to stdout and stderr so far (for failure messages).</summary>
    public string Output
    {
        get { lock (output) return output.ToString(); }
    }

    public async Task InitializeAsync()
    {
        var appDll = FindAppDll();
        var port = FreePort();
        BaseUrl = new Uri($"http://127.0.0.1:{port}");
        Directory.CreateDirectory(dataDir);

        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.Combine(RepositoryRoot, "src", "ControlPlane"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(appDll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(BaseUrl.ToString().TrimEnd('/'));
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        start.Environment["Database__Provider"] = "Sqlite";
        start.Environment["Database__ConnectionString"] = $"Data Source={Path.Combine(dataDir, "e2e.db")}";
        start.Environment["Database__SeedDemoData"] = "true";
        start.Environment["Auth__DevSignIn"] = "true";
        // The admin test adds a provider at 127.0.0.1:9 (nothing listens there): loopback is refused unless allowed.
        start.Environment["Gateway__AllowedProviderAddresses__0"] = "127.0.0.1:9";
        // The demo's providers are real hosts: the jobs that would probe or fetch from them stay off here.
        start.Environment["Jobs__Paused__0"] = "providers.health";
        start.Environment["Jobs__Paused__1"] = "models.list-sync";
        start.Environment["Jobs__Paused__2"] = "reconciliation.daily";
        start.Environment["DOTNET_NOLOGO"] = "1";
        if (SettingsFor is not null)
            foreach (var (key, value) in await SettingsFor(BaseUrl))
                start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;

        process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        if (!process.Start())
            throw new InvalidOperationException($"Could not start dotnet {appDll}.");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        await WaitUntilReadyAsync();
    }

    private async Task WaitUntilReadyAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        string? last = null;
        while (deadline.Elapsed < StartTimeout)
        {
            if (process!.HasExited)
                throw new InvalidOperationException(
                    $"The app exited with code {process.ExitCode} before /ready answered.\n--- app output ---\n{Output}");
            try
            {
                using var response = await http.GetAsync(new Uri("/ready", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                    return;
                last = $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (TaskCanceledException e)
            {
                last = e.Message;
            }
            await Task.Delay(250); // polling a starting process; there is nothing to await instead
        }
        throw new TimeoutException(
            $"GET {BaseUrl}ready did not answer 200 within {StartTimeout.TotalSeconds} s (last: {last}).\n--- app output ---\n{Output}");
    }

    public async Task DisposeAsync()
    {
        if (process is not null)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                    await process.WaitForExitAsync(cts.Token);
                }
            }
            catch (InvalidOperationException)
            {
                // already gone
            }
            process.Dispose();
        }
        SaveLog();
        try
        {
            if (Directory.Exists(dataDir))
                Directory.Delete(dataDir, recursive: true);
        }
        catch (IOException)
        {
            // a file still held open; the temp folder is cleaned by the OS eventually
        }
    }

    /// <summary>The app's output, kept beside the screenshots for whoever reads a failed run.</summary>
    private void SaveLog()
    {
        try
        {
            var dir = Path.Combine(ArtifactsDir, "logs");
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "app.log"), Output);
        }
        catch (IOException)
        {
            // diagnostics only
        }
    }

    /// <summary>e2e/ControlPlane.E2E/bin: screenshots and logs go here, never committed.</summary>
    public static string ArtifactsDir => Path.Combine(RepositoryRoot, "e2e", "ControlPlane.E2E", "bin");

    private void Append(string? line)
    {
        if (line is null) return;
        lock (output) output.AppendLine(line);
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ControlPlane.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"No ControlPlane.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>The app built in the same configuration as these tests, else the other one.</summary>
    private static string FindAppDll()
    {
        var mine = typeof(RunningApp).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        string[] configurations = [mine, .. Configurations.Where(c => !c.Equals(mine, StringComparison.OrdinalIgnoreCase))];
        var candidates = configurations
            .Select(c => Path.Combine(RepositoryRoot, "src", "ControlPlane", "bin", c, "net10.0", "ControlPlane.dll"))
            .ToList();
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                $"The app is not built; looked for {string.Join(", ", candidates)}. Run `dotnet build ControlPlane.sln` first.");
    }

    private static readonly string[] Configurations = ["Debug", "Release"];

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
