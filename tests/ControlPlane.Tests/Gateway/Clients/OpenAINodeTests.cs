using System.Diagnostics;
using System.Text.Json;
using ControlPlane.Tests.Gateway.FakeUpstream;

namespace ControlPlane.Tests.Gateway.Clients;

/// <summary>
/// The official OpenAI Node client (npm openai@6, see node/package.json) against /v1, on every provider kind: the
/// test runs node/chat.mjs as a process and checks what the script received and what the gateway recorded.
/// </summary>
public abstract class OpenAINodeTests<TApp> where TApp : GatewayApp
{
    private readonly TApp gateway;

    /// <summary>Tests of one class run one at a time on their own fixture: each starts from an empty script.</summary>
    protected OpenAINodeTests(TApp gateway)
    {
        this.gateway = gateway;
        gateway.Upstream.Reset();
    }

    [Theory]
    [MemberData(nameof(EveryProviderKind.Aliases), MemberType = typeof(EveryProviderKind))]
    public async Task A_chat_completion_from_node_arrives_intact_and_is_priced(string alias)
    {
        var usage = new FakeUsage(900, 100, 120);
        var text = $"Hello node from {alias}: \"quoted\", ümlaut, 中文";
        gateway.Upstream.Enqueue(new FakeReply { Text = text, Usage = usage });

        var result = await RunAsync("chat", alias, "node-chat-hi");

        Assert.Equal(text, result.GetProperty("text").GetString());
        Assert.Equal("stop", result.GetProperty("finishReason").GetString());
        Assert.Equal(alias, result.GetProperty("model").GetString());
        AssertUsage(result.GetProperty("usage")[0], usage);
        await ClientAssert.MeteredAsync(gateway, RequestId(result, 0), alias, "chat", streamed: false, usage);
    }

    [Theory]
    [MemberData(nameof(EveryProviderKind.Aliases), MemberType = typeof(EveryProviderKind))]
    public async Task A_stream_from_node_reassembles_to_the_text_and_ends_with_the_metered_usage(string alias)
    {
        var usage = new FakeUsage(512, 64, 33);
        const string text = "Node streams through the gateway, piece by piece: ümlaut 中文 done.";
        gateway.Upstream.Enqueue(new FakeReply { Text = text, Chunks = 6, Usage = usage });

        var result = await RunAsync("stream", alias, "node-stream-count");

        Assert.Equal(text, result.GetProperty("text").GetString());
        Assert.Equal("stop", result.GetProperty("finishReason").GetString());
        AssertUsage(result.GetProperty("usage")[0], usage);
        await ClientAssert.MeteredAsync(gateway, RequestId(result, 0), alias, "chat", streamed: true, usage);
    }

    [Theory]
    [MemberData(nameof(EveryProviderKind.Aliases), MemberType = typeof(EveryProviderKind))]
    public async Task Parallel_tool_calls_from_node_keep_names_and_arguments_and_their_results_get_an_answer(string alias)
    {
        var first = new FakeUsage(300, 0, 41);
        var second = new FakeUsage(360, 0, 11);
        gateway.Upstream.Enqueue(
            new FakeReply { ToolCalls = ToolScript.Calls, Usage = first },
            new FakeReply { Text = "Sunny in Zurich; 14:05 in Oslo.", Usage = second });

        var result = await RunAsync("tools", alias, "node-tools-weather");

        Assert.Equal("tool_calls", result.GetProperty("firstFinishReason").GetString());
        AssertToolCalls(result.GetProperty("toolCalls"));
        Assert.Equal("Sunny in Zurich; 14:05 in Oslo.", result.GetProperty("text").GetString());
        Assert.Equal("stop", result.GetProperty("finishReason").GetString());
        ClientAssert.ToolResultsSent(ClientAssert.Sent(gateway, "tool-result 0 for node-tools-weather"),
            [.. ToolScript.Expected.Select((c, i) => (c.Name, c.Arguments, $"tool-result {i} for node-tools-weather"))]);
        await ClientAssert.MeteredAsync(gateway, RequestId(result, 0), alias, "chat", streamed: false, first);
        await ClientAssert.MeteredAsync(gateway, RequestId(result, 1), alias, "chat", streamed: false, second);
    }

    [Theory]
    [MemberData(nameof(EveryProviderKind.Aliases), MemberType = typeof(EveryProviderKind))]
    public async Task Streamed_parallel_tool_calls_from_node_reassemble_to_the_same_names_and_arguments(string alias)
    {
        var usage = new FakeUsage(305, 0, 42);
        gateway.Upstream.Enqueue(new FakeReply { ToolCalls = ToolScript.Calls, ArgumentChunks = 4, Usage = usage });

        var result = await RunAsync("stream-tools", alias, "node-stream-tools");

        AssertToolCalls(result.GetProperty("toolCalls"));
        Assert.Equal("tool_calls", result.GetProperty("finishReason").GetString());
        AssertUsage(result.GetProperty("usage")[0], usage);
        await ClientAssert.MeteredAsync(gateway, RequestId(result, 0), alias, "chat", streamed: true, usage);
    }

    private static void AssertToolCalls(JsonElement calls)
    {
        var received = calls.EnumerateArray().ToList();
        Assert.Equal(ToolScript.Expected.Select(c => c.Name), received.Select(c => c.GetProperty("name").GetString()));
        for (var i = 0; i < ToolScript.Expected.Count; i++)
            ClientAssert.SameJson(ToolScript.Expected[i].Arguments, received[i].GetProperty("arguments").GetString());
        Assert.Equal(2, received.Select(c => c.GetProperty("id").GetString()).Where(id => !string.IsNullOrEmpty(id)).Distinct().Count());
    }

    private static void AssertUsage(JsonElement usage, FakeUsage expected) =>
        Assert.Equal((expected.Input, expected.Cached, expected.Output),
            (usage.GetProperty("prompt").GetInt32(), usage.GetProperty("cached").GetInt32(), usage.GetProperty("completion").GetInt32()));

    private static string RequestId(JsonElement result, int index) =>
        result.GetProperty("requestIds")[index].GetString() ?? throw new InvalidOperationException("The gateway sent no X-Request-Id.");

    /// <summary>node chat.mjs mode model prompt, with the gateway's URL and key in the environment; its one JSON line.</summary>
    private async Task<JsonElement> RunAsync(string mode, string alias, string prompt)
    {
        var folder = NodeFolder();
        if (!File.Exists(Path.Combine(folder, "node_modules", "openai", "package.json")))
            Assert.Fail($"The npm packages are not installed: run `npm ci` in {folder} (CI does it in .ci/run).");
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList = { "chat.mjs", mode, alias, prompt },
            Environment =
            {
                ["CONTROLPLANE_BASE_URL"] = gateway.BaseUrl.ToString(),
                ["CONTROLPLANE_API_KEY"] = gateway.Key,
            },
        };
        using var node = Process.Start(start) ?? throw new InvalidOperationException("node did not start.");
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await node.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            node.Kill(entireProcessTree: true);
            throw new TimeoutException($"node chat.mjs {mode} {alias} did not finish: {await stderr}");
        }
        var output = await stdout;
        Assert.True(node.ExitCode == 0, $"node chat.mjs {mode} {alias} exited with {node.ExitCode}:\n{await stderr}\n{output}");
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last();
        return JsonDocument.Parse(line).RootElement.Clone();
    }

    private static string NodeFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ControlPlane.sln")))
                return Path.Combine(dir.FullName, "tests", "ControlPlane.Tests", "Gateway", "Clients", "node");
        throw new InvalidOperationException($"No ControlPlane.sln above {AppContext.BaseDirectory}.");
    }
}

public sealed class OpenAINodeTests_on_Sqlite(SqliteGatewayApp g) : OpenAINodeTests<SqliteGatewayApp>(g), IClassFixture<SqliteGatewayApp>;

public sealed class OpenAINodeTests_on_Postgres(PostgresGatewayApp g) : OpenAINodeTests<PostgresGatewayApp>(g), IClassFixture<PostgresGatewayApp>;
