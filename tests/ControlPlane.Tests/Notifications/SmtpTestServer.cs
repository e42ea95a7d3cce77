using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;

namespace ControlPlane.Tests.Notifications;

/// <summary>
/// A real SMTP server: npm smtp-server (node/smtp.mjs) on 127.0.0.1 (shared with the browser tests), requiring a user name and password when given.
/// Each message it receives arrives here as JSON (envelope, parsed subject and text).
/// </summary>
internal sealed class SmtpTestServer : IAsyncDisposable
{
    private readonly Process _node;
    private readonly Channel<JsonElement> _messages = Channel.CreateUnbounded<JsonElement>();
    private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Text.StringBuilder _stderr = new();

    public int Port => _port.Task.Result;

    private SmtpTestServer(Process node)
    {
        _node = node;
        node.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not { Length: > 0 } line) return;
            var json = JsonDocument.Parse(line).RootElement.Clone();
            if (json.GetProperty("event").GetString() == "listening") _port.TrySetResult(json.GetProperty("port").GetInt32());
            else _messages.Writer.TryWrite(json);
        };
        node.ErrorDataReceived += (_, e) => { lock (_stderr) _stderr.AppendLine(e.Data); };
        node.BeginOutputReadLine();
        node.BeginErrorReadLine();
    }

    /// <summary>Starts the server; with a user name and password it requires them. Port 0 is any free port (the browser tests take the demo mail channel's own, 1025).</summary>
    public static async Task<SmtpTestServer> StartAsync(string? user = null, string? password = null, int port = 0)
    {
        var folder = NodeFolder();
        if (!File.Exists(Path.Combine(folder, "node_modules", "smtp-server", "package.json")))
            throw new InvalidOperationException($"The npm packages are not installed: run `npm ci` in {folder} (CI does it in .ci/run).");
        var start = new ProcessStartInfo("node") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, ArgumentList = { "smtp.mjs" } };
        if (user is not null) start.Environment["SMTP_USER"] = user;
        if (password is not null) start.Environment["SMTP_PASSWORD"] = password;
        start.Environment["SMTP_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var server = new SmtpTestServer(Process.Start(start) ?? throw new InvalidOperationException("node did not start."));
        try
        {
            await server._port.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            string stderr;
            lock (server._stderr) stderr = server._stderr.ToString();
            await server.DisposeAsync();
            throw new InvalidOperationException($"smtp.mjs did not start listening: {stderr}");
        }
        return server;
    }

    /// <summary>The next message the server received (the limit only ends a test that would hang).</summary>
    public async Task<JsonElement> NextMessageAsync()
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await _messages.Reader.ReadAsync(limit.Token);
    }

    public ValueTask DisposeAsync()
    {
        if (!_node.HasExited) _node.Kill(entireProcessTree: true);
        _node.Dispose();
        return ValueTask.CompletedTask;
    }

    private static string NodeFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ControlPlane.sln")))
                return Path.Combine(dir.FullName, "tests", "ControlPlane.Tests", "Notifications", "node");
        throw new InvalidOperationException($"No ControlPlane.sln above {AppContext.BaseDirectory}.");
    }
}
