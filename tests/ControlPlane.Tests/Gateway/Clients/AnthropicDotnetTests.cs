using System.Text;
using System.Text.Json;
using Anthropic;
using Anthropic.Core;
using Anthropic.Exceptions;
using Anthropic.Helpers;
using Anthropic.Models.Messages;
using ControlPlane.Tests.Gateway.FakeUpstream;

namespace ControlPlane.Tests.Gateway.Clients;

/// <summary>
/// The official Anthropic .NET SDK (13.12) against /v1/messages, on every provider kind. Anthropic counts input
/// without cache reads, so the SDK sees input_tokens = input − cached while the row keeps OpenAI's convention.
/// </summary>
public abstract class AnthropicDotnetTests<TApp> where TApp : GatewayApp
{
    private readonly TApp gateway;

    /// <summary>Tests of one class run one at a time on their own fixture: each starts from an empty script.</summary>
    protected AnthropicDotnetTests(TApp gateway)
    {
        this.gateway = gateway;
        gateway.Upstream.Reset();
    }

    private static readonly List<ToolUnion> Tools = [Tool("get_weather", "The current weather in a city.", ToolScript.WeatherSchema), Tool("get_time", "The time in a zone.", ToolScript.TimeSchema)];

    private static Tool Tool(string name, string description, string schema)
    {
        using var json = JsonDocument.Parse(schema);
        return new Tool
        {
            Name = name,
            Description = description,
            InputSchema = new InputSchema
            {
                Properties = json.RootElement.GetProperty("properties").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone()),
                Required = [.. json.RootElement.GetProperty("required").EnumerateArray().Select(r => r.GetString()!)],
            },
        };
    }

    /// <summary>
    /// Validation makes the SDK check every field its model requires (SDK 13.12 requires tool_use.caller, for one),
    /// so what the gateway writes is held to the SDK's own model.
    /// </summary>
    private AnthropicClient Connect(RequestIds ids) => new(new ClientOptions
    {
        BaseUrl = gateway.BaseUrl.ToString().TrimEnd('/'),
        ApiKey = gateway.Key,
        HttpClient = new HttpClient(ids),
        MaxRetries = 0,
        ResponseValidation = true,
    });

    [Theory]
    [MemberData(nameof(EveryProviderKind.Aliases), MemberType = typeof(EveryProviderKind))]
    public async Task A_message_arrives_intact_and_is_priced_from_the_provider_usage(string alias)
    {
        var usage = new FakeUsage(1500, 300, 210);
        var text = $"Hello from {alias}: \"quoted\", ümlaut, 中文";
        gateway.Upstream.Enqueue(new FakeReply { Text = text, Usage = usage });
        var ids = new RequestIds();
        using var client = Connect(ids);

        var message = await client.Messages.Create(new MessageCreateParams
        {
            Model = alias,
            MaxTokens = 512,
            System = "Be brief.",
            Messages = [new UserMessageParam("anthropic-message-hi")],
        });

        Assert.True(Assert.Single(message.Content).TryPickText(out var block));
        Assert.Equal(text, block.Text);
        Assert.Equal("end_turn", message.StopReason?.Raw());
        Assert.Equal(alias, message.Model.Raw());
        Assert.Equal((1200L, 300L, 210L), (message.Usage.InputTokens, message.Usage.CacheReadInputTokens ?? 0, message.Usage.OutputTokens));
        var sent = ClientAssert.Sent(gateway, "anthropic-message-hi");
        Assert.Contains("Be brief.", sent.Body, StringComparison.Ordinal);
        Assert.Equal(512, ClientAssert.MaxOutputTokens(sent));
        await ClientAssert.MeteredAsync(gateway, ids.Single(), alias, "messages", streamed: false, usage);
    }

    [Theory]
    [MemberData(nameof(EveryProviderKind.Aliases), MemberType = typeof(EveryProviderKind))]
    public async Task A_message_stream_reassembles_to_the_text_with_the_usage_that_was_metered(string alias)
    {
        var usage = new FakeUsage(700, 100, 66);
        const string text = "Streaming through the gateway, piece by piece: ümlaut 中文 done.";
        gateway.Upstream.Enqueue(new FakeReply { Text = text, Chunks = 7, Usage = usage });
        var ids = new RequestIds();
        using var client = Connect(ids);

        var stream = await Collect(client.Messages.CreateStreaming(new MessageCreateParams
        {
            Model = alias,
            MaxTokens = 512,
            Messages = [new UserMessageParam("anthropic-stream-count")],
        }));

        Assert.Equal(text, stream.Text);
        Assert.Equal("end_turn", stream.StopReason);
        Assert.Equal((600L, 100L), (stream.InputTokens, stream.CachedTokens));
        Assert.Equal(66L, stream.OutputTokens);
        Assert.True(Assert.Single(stream.Aggregated.Content).TryPickText(out var aggregated));
        Assert.Equal(text, aggregated.Text);
        Assert.Equal((600L, 100L, 66L), (stream.Aggregated.Usage.InputTokens, stream.Aggregated.Usage.CacheReadInputTokens ?? 0, stream.Aggregated.Usage.OutputTokens));
        await ClientAssert.MeteredAsync(gateway, ids.Single(), alias, "messages", streamed: true, usage);
    }

    [Theory]
    [MemberData(nameof(EveryProviderKind.Aliases), MemberType = typeof(EveryProviderKind))]
    public async Task Parallel_tool_uses_keep_names_and_input_and_their_results_get_an_answer(string alias)
    {
        var first = new FakeUsage(320, 0, 45);
        var second = new FakeUsage(400, 0, 15);
        gateway.Upstream.Enqueue(
            new FakeReply { ToolCalls = ToolScript.Calls, Usage = first },
            new FakeReply { Text = "Sunny in Zurich; 14:05 in Oslo.", Usage = second });
        var ids = new RequestIds();
        using var client = Connect(ids);
        List<MessageParam> messages = [new UserMessageParam("anthropic-tools: weather in Zurich, time in Oslo?")];

        var call = await client.Messages.Create(new MessageCreateParams { Model = alias, MaxTokens = 512, Tools = Tools, Messages = messages });

        Assert.Equal("tool_use", call.StopReason?.Raw());
        var uses = call.Content.Select(b => b.TryPickToolUse(out var u) ? u : null).OfType<ToolUseBlock>().ToList();
        Assert.Equal(ToolScript.Expected.Select(c => c.Name), uses.Select(u => u.Name));
        for (var i = 0; i < ToolScript.Expected.Count; i++)
            ClientAssert.SameJson(ToolScript.Expected[i].Arguments, JsonSerializer.Serialize(uses[i].Input));
        Assert.Equal(2, uses.Select(u => u.ID).Where(id => !string.IsNullOrEmpty(id)).Distinct().Count());

        string[] results = ["anthropic-tool-result 0: sunny, 22 C", "anthropic-tool-result 1: 14:05"];
        messages.Add(new AssistantMessageParam(uses.Select(u => (ContentBlockParam)new ToolUseBlockParam { ID = u.ID, Name = u.Name, Input = u.Input }).ToList()));
        messages.Add(new UserMessageParam(uses.Select((u, i) => (ContentBlockParam)new ToolResultBlockParam(u.ID) { Content = results[i] }).ToList()));
        var answer = await client.Messages.Create(new MessageCreateParams { Model = alias, MaxTokens = 512, Tools = Tools, Messages = messages });

        Assert.Equal("end_turn", answer.StopReason?.Raw());
        Assert.True(Assert.Single(answer.Content).TryPickText(out var text));
        Assert.Equal("Sunny in Zurich; 14:05 in Oslo.", text.Text);
        ClientAssert.ToolResultsSent(ClientAssert.Sent(gateway, results[0]), [.. ToolScript.Expected.Select((c, i) => (c.Name, c.Arguments, results[i]))]);
        var requestIds = ids.All;
        Assert.Equal(2, requestIds.Count);
        await ClientAssert.MeteredAsync(gateway, requestIds[0], alias, "messages", streamed: false, first);
        await ClientAssert.MeteredAsync(gateway, requestIds[1], alias, "messages", streamed: false, second);
    }

    [Theory]
    [MemberData(nameof(EveryProviderKind.Aliases), MemberType = typeof(EveryProviderKind))]
    public async Task Streamed_parallel_tool_uses_reassemble_to_the_same_names_and_input(string alias)
    {
        var usage = new FakeUsage(330, 0, 48);
        gateway.Upstream.Enqueue(new FakeReply { ToolCalls = ToolScript.Calls, ArgumentChunks = 5, Usage = usage });
        var ids = new RequestIds();
        using var client = Connect(ids);

        var stream = await Collect(client.Messages.CreateStreaming(new MessageCreateParams
        {
            Model = alias,
            MaxTokens = 512,
            Tools = Tools,
            Messages = [new UserMessageParam("anthropic-stream-tools")],
        }));

        Assert.Equal(ToolScript.Expected.Select(c => c.Name), stream.ToolUses.Select(u => u.Name));
        for (var i = 0; i < ToolScript.Expected.Count; i++)
            ClientAssert.SameJson(ToolScript.Expected[i].Arguments, stream.ToolUses[i].Input);
        Assert.Equal(2, stream.ToolUses.Select(u => u.Id).Where(id => !string.IsNullOrEmpty(id)).Distinct().Count());
        Assert.Equal("tool_use", stream.StopReason);
        Assert.Equal(48L, stream.OutputTokens);
        var aggregated = stream.Aggregated.Content.Select(b => b.TryPickToolUse(out var u) ? u : null).OfType<ToolUseBlock>().ToList();
        Assert.Equal(ToolScript.Expected.Select(c => c.Name), aggregated.Select(u => u.Name));
        for (var i = 0; i < ToolScript.Expected.Count; i++)
            ClientAssert.SameJson(ToolScript.Expected[i].Arguments, JsonSerializer.Serialize(aggregated[i].Input));
        Assert.Equal((330L, 48L), (stream.Aggregated.Usage.InputTokens, stream.Aggregated.Usage.OutputTokens));
        await ClientAssert.MeteredAsync(gateway, ids.Single(), alias, "messages", streamed: true, usage);
    }

    [Theory]
    [MemberData(nameof(EveryProviderKind.Aliases), MemberType = typeof(EveryProviderKind))]
    public async Task A_provider_refusal_reaches_the_SDK_as_its_typed_error_with_the_provider_message(string alias)
    {
        gateway.Upstream.Enqueue(FakeReply.Error(400, "anthropic-refusal: the messages are malformed"));
        var ids = new RequestIds();
        using var client = Connect(ids);

        var error = await Assert.ThrowsAsync<AnthropicBadRequestException>(() => client.Messages.Create(new MessageCreateParams
        {
            Model = alias,
            MaxTokens = 512,
            Messages = [new UserMessageParam("anthropic-refused")],
        }));

        Assert.Contains("anthropic-refusal: the messages are malformed", error.ApiMessage, StringComparison.Ordinal);
        Assert.Equal("invalid_request_error", error.Type?.Raw());
        var row = await gateway.CallAsync(ids.Single());
        Assert.Equal((400, "upstream_refused", 0m), (row.Status, row.ErrorClass, row.Cost));
    }

    /// <summary>The stream read event by event, and the message the SDK's own aggregator built from the same events.</summary>
    private sealed record Streamed(string Text, List<(string Id, string Name, string Input)> ToolUses, string? StopReason, long InputTokens, long CachedTokens, long OutputTokens, Message Aggregated);

    /// <summary>Reads the stream event by event, as a UI would: text and tool input deltas, usage from start, then delta.</summary>
    private static async Task<Streamed> Collect(IAsyncEnumerable<RawMessageStreamEvent> events)
    {
        var aggregator = new MessageContentAggregator();
        var text = new StringBuilder();
        var tools = new SortedDictionary<long, (string Id, string Name, StringBuilder Input)>();
        string? stop = null;
        long input = 0, cached = 0, output = 0;
        await foreach (var e in events.CollectAsync(aggregator))
        {
            if (e.TryPickStart(out var start))
            {
                input = start.Message.Usage.InputTokens;
                cached = start.Message.Usage.CacheReadInputTokens ?? 0;
            }
            else if (e.TryPickContentBlockStart(out var blockStart) && blockStart.ContentBlock.TryPickToolUse(out var use))
                tools[blockStart.Index] = (use.ID, use.Name, new StringBuilder());
            else if (e.TryPickContentBlockDelta(out var delta))
            {
                if (delta.Delta.TryPickText(out var piece))
                    text.Append(piece.Text);
                else if (delta.Delta.TryPickInputJson(out var json))
                    tools[delta.Index].Input.Append(json.PartialJson);
            }
            else if (e.TryPickDelta(out var end))
            {
                // The gateway cannot know input counts at message_start when the provider reports them last
                // (OpenAI does): it sends them here, where Anthropic's own API repeats them too.
                stop = end.Delta.StopReason?.Raw();
                output = end.Usage.OutputTokens;
                input = end.Usage.InputTokens ?? input;
                cached = end.Usage.CacheReadInputTokens ?? cached;
            }
        }
        return new Streamed(text.ToString(), [.. tools.Values.Select(t => (t.Id, t.Name, t.Input.ToString()))], stop, input, cached, output, aggregator.Message());
    }
}

public sealed class AnthropicDotnetTests_on_Sqlite(SqliteGatewayApp g) : AnthropicDotnetTests<SqliteGatewayApp>(g), IClassFixture<SqliteGatewayApp>;

public sealed class AnthropicDotnetTests_on_Postgres(PostgresGatewayApp g) : AnthropicDotnetTests<PostgresGatewayApp>(g), IClassFixture<PostgresGatewayApp>;
