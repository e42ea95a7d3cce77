using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;

namespace ControlPlane.Tests.Live;

/// <summary>
/// The official SignalR JavaScript client (npm @microsoft/signalr, node/package.json) on /hubs/spend: node/spend.mjs
/// as a process, its JSON lines read as they come.
/// </summary>
internal sealed class SpendHubClient : IDisposable
{
    private readonly Process _node;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly System.Text.StringBuilder _stderr = new();

    private SpendHubClient(Process node)
    {
        _node = node;
        node.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) _lines.Writer.TryComplete();
            else if (e.Data.Length > 0) _lines.Writer.TryWrite(e.Data);
        };
        node.ErrorDataReceived += (_, e) =>
        {
            lock (_stderr) _stderr.AppendLine(e.Data);
        };
        node.BeginOutputReadLine();
        node.BeginErrorReadLine();
    }

    /// <summary>Connects to the hub at <paramref name="baseUrl"/>, with the session cookie if given; reports ticks up to the one with <paramref name="untilCalls"/> calls.</summary>
    public static SpendHubClient Start(Uri baseUrl, string? cookie, int untilCalls)
    {
        var folder = NodeFolder();
        if (!File.Exists(Path.Combine(folder, "node_modules", "@microsoft", "signalr", "package.json")))
            Assert.Fail($"The npm packages are not installed: run `npm ci` in {folder} (CI does it in .ci/run).");
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList = { "spend.mjs", new Uri(baseUrl, "/hubs/spend").ToString(), untilCalls.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };
        if (cookie is not null) start.Environment["CONTROLPLANE_COOKIE"] = cookie;
        return new SpendHubClient(Process.Start(start) ?? throw new InvalidOperationException("node did not start."));
    }

    /// <summary>The script's next line: {"event":"scope"|"ticks"|"refused", …}.</summary>
    public async Task<JsonElement> NextAsync()
    {
        using var limit = new CancellationTokenSource(Until.Limit);
        try
        {
            var line = await _lines.Reader.ReadAsync(limit.Token);
            return JsonDocument.Parse(line).RootElement.Clone();
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            string stderr;
            lock (_stderr) stderr = _stderr.ToString();
            throw new InvalidOperationException($"node spend.mjs said nothing more: {stderr}", ex);
        }
    }

    public void Dispose()
    {
        if (!_node.HasExited) _node.Kill(entireProcessTree: true);
        _node.Dispose();
    }

    private static string NodeFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ControlPlane.sln")))
                return Path.Combine(dir.FullName, "tests", "ControlPlane.Tests", "Live", "node");
        throw new InvalidOperationException($"No ControlPlane.sln above {AppContext.BaseDirectory}.");
    }
}
