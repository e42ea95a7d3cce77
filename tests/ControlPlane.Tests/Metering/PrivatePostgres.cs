using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ControlPlane.Tests.Metering;

/// <summary>
/// A PostgreSQL 15 cluster of one test's own (as scripts/with-postgres.sh starts one), so the test may stop and start
/// it under load without disturbing other tests. As root the server tools run as the postgres user.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private const string Bin = "/usr/lib/postgresql/15/bin";
    private readonly string _dir;
    private readonly int _port;

    private PrivatePostgres(string dir, int port)
    {
        _dir = dir;
        _port = port;
    }

    public string AdminConnectionString => $"Host=127.0.0.1;Port={_port};Username=postgres;Password=unused;Database=postgres;Pooling=true;Include Error Detail=true";

    public static async Task<PrivatePostgres> StartAsync()
    {
        var dir = Directory.CreateTempSubdirectory("cp-private-pg-").FullName;
        if (Environment.UserName == "root") await RunAsync("chown", ["postgres:postgres", dir], dir, asPostgres: false);
        await RunAsync($"{Bin}/initdb", ["-D", $"{dir}/data", "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"], dir);
        var server = new PrivatePostgres(dir, FreePort());
        await server.StartServerAsync();
        return server;
    }

    public Task StartServerAsync() => RunAsync($"{Bin}/pg_ctl", ["-D", $"{_dir}/data", "-l", $"{_dir}/log", "-w", "-s",
        "-o", $"-p {_port} -k {_dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c synchronous_commit=off", "start"], _dir);

    /// <summary>A fast stop: connections are cut, as when a database server goes away.</summary>
    public Task StopServerAsync() => RunAsync($"{Bin}/pg_ctl", ["-D", $"{_dir}/data", "-m", "fast", "-w", "-s", "stop"], _dir);

    public async ValueTask DisposeAsync()
    {
        try { await StopServerAsync(); } catch (InvalidOperationException) { /* already stopped */ }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { /* left in /tmp */ }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string tool, string[] args, string workingDirectory, bool asPostgres = true)
    {
        var info = new ProcessStartInfo { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        if (asPostgres && Environment.UserName == "root")
        {
            info.FileName = "runuser";
            foreach (var a in new[] { "-u", "postgres", "--", tool }) info.ArgumentList.Add(a);
        }
        else
        {
            info.FileName = tool;
        }
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{tool} {string.Join(' ', args)} failed ({process.ExitCode}): {await output} {await error}");
    }
}
