using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Metering;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Gateway.FakeUpstream;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;

namespace ControlPlane.Tests.Gateway.Clients;

/// <summary>The official OpenAI .NET SDK (2.15) against /v1, on every provider kind, as an application would use it.</summary>
public abstract class OpenAIDotnetTests<TApp> where TApp : GatewayApp
{
    private readonly TApp gateway;

    /// <summary>Tests of one class run one at a time on their own fixture: each starts from an empty script.</summary>
    protected OpenAIDotnetTests(TApp gateway)
    {
        this.gateway = gateway;
        gateway.Upstream.Reset();
    }

    private static ChatCompletionOptions WithTools() => new()
    {
        Tools =
        {
            ChatTool.CreateFunctionTool("get_weather", "The current weather in a city.", BinaryData.FromString(ToolScript.WeatherSchema)),
            ChatTool.CreateFunctionTool("get_time", "The time in a zone.", BinaryData.FromString(ToolScript.TimeSchema)),
        },
    };

    private OpenAIClient Connect(RequestIds ids) => new(new ApiKeyCredential(gateway.Key), new OpenAIClientOptions
    {
        Endpoint = new Uri(gateway.BaseUrl, "v1"),
        Transport = new HttpClientPipelineTransport(new HttpClient(ids)),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    });

    [Theory]
    [MemberData(nameof(EveryProviderKind.Aliases), MemberType = typeof(EveryProviderKind))]
    public async Task A_chat_completion_arrives_intact_and_is_priced_from_the_provider_usage(string alias)
    {
        var usage = new FakeUsage(1200, 200, 345);
        gateway.Upstream.Enqueue(new FakeReply { Text = $"Hello from {alias}: \"quoted\", ümlaut, 中文", Usage = usage });
        var ids = new RequestIds();
        var chat = Connect(ids).GetChatClient(alias);

        ClientResult<ChatCompletion> result = await chat.CompleteChatAsync(
            [new SystemChatMessage("Be brief."), new UserChatMessage("dotnet-chat-hi")], new ChatCompletionOptions { MaxOutputTokenCount = 321 });

        var completion = result.Value;
        Assert.Equal($"Hello from {alias}: \"quoted\", ümlaut, 中文", Assert.Single(completion.Content).Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.Equal(alias, completion.Model);
        Assert.Equal((1200, 200, 345), (completion.Usage.InputTokenCount, completion.Usage.InputTokenDetails.CachedTokenCount, completion.Usage.OutputTokenCount));
        var sent = ClientAssert.Sent(gateway, "dotnet-chat-hi");
        Assert.Contains("Be brief.", sent.Body, StringComparison.Ordinal);
        Assert.Equal(321, ClientAssert.MaxOutputTokens(sent));
        var requestId = ids.Single();
        Assert.Equal(requestId, result.GetRawResponse().Headers.TryGetValue("X-Request-Id", out var header) ? header : null);
        await ClientAssert.MeteredAsync(gateway, requestId, alias, "chat", streamed: false, usage);
    }

    [Theory]
    [MemberData(nameof(EveryProviderKind.Aliases), MemberType = typeof(EveryProviderKind))]
    public async Task A_stream_reassembles_to_the_text_and_ends_with_the_usage_that_was_metered(string alias)
    {
        var usage = new FakeUsage(640, 128, 77);
        const string text = "Streaming through the gateway, piece by piece: ümlaut 中文 done.";
        gateway.Upstream.Enqueue(new FakeReply { Text = text, Chunks = 7, Usage = usage });
        var ids = new RequestIds();
        var chat = Connect(ids).GetChatClient(alias);

        var received = new StringBuilder();
        ChatTokenUsage? finalUsage = null;
        ChatFinishReason? finish = null;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("dotnet-stream-count")]))
        {
            foreach (var part in update.ContentUpdate)
                received.Append(part.Text);
            finish = update.FinishReason ?? finish;
            finalUsage = update.Usage ?? finalUsage;
        }

        Assert.Equal(text, received.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(finalUsage);
        Assert.Equal((640, 128, 77), (finalUsage.InputTokenCount, finalUsage.InputTokenDetails.CachedTokenCount, finalUsage.OutputTokenCount));
        await ClientAssert.MeteredAsync(gateway, ids.Single(), alias, "chat", streamed: true, usage);
    }

    [Theory]
    [MemberData(nameof(EveryProviderKind.Aliases), MemberType = typeof(EveryProviderKind))]
    public async Task Parallel_function_calls_keep_names_and_arguments_and_their_results_get_an_answer(string alias)
    {
        var first = new FakeUsage(300, 0, 40);
        var second = new FakeUsage(380, 0, 12);
        gateway.Upstream.Enqueue(
            new FakeReply { ToolCalls = ToolScript.Calls, Usage = first },
            new FakeReply { Text = "Sunny in Zurich; 14:05 in Oslo.", Usage = second });
        var ids = new RequestIds();
        var chat = Connect(ids).GetChatClient(alias);
        List<ChatMessage> messages = [new UserChatMessage("dotnet-tools: weather in Zurich, time in Oslo?")];

        ChatCompletion call = await chat.CompleteChatAsync(messages, WithTools());

        Assert.Equal(ChatFinishReason.ToolCalls, call.FinishReason);
        Assert.Equal(ToolScript.Expected.Select(c => c.Name), call.ToolCalls.Select(c => c.FunctionName));
        for (var i = 0; i < ToolScript.Expected.Count; i++)
            ClientAssert.SameJson(ToolScript.Expected[i].Arguments, call.ToolCalls[i].FunctionArguments.ToString());
        Assert.Equal(2, call.ToolCalls.Select(c => c.Id).Where(id => !string.IsNullOrEmpty(id)).Distinct().Count());

        string[] results = ["dotnet-tool-result 0: sunny, 22 C", "dotnet-tool-result 1: 14:05"];
        messages.Add(new AssistantChatMessage(call));
        for (var i = 0; i < call.ToolCalls.Count; i++)
            messages.Add(new ToolChatMessage(call.ToolCalls[i].Id, results[i]));
        ChatCompletion answer = await chat.CompleteChatAsync(messages, WithTools());

        Assert.Equal(ChatFinishReason.Stop, answer.FinishReason);
        Assert.Equal("Sunny in Zurich; 14:05 in Oslo.", Assert.Single(answer.Content).Text);
        ClientAssert.ToolResultsSent(ClientAssert.Sent(gateway, results[0]), [.. ToolScript.Expected.Select((c, i) => (c.Name, c.Arguments, results[i]))]);
        var requestIds = ids.All;
        Assert.Equal(2, requestIds.Count);
        await ClientAssert.MeteredAsync(gateway, requestIds[0], alias, "chat", streamed: false, first);
        await ClientAssert.MeteredAsync(gateway, requestIds[1], alias, "chat", streamed: false, second);
    }

    [Theory]
    [MemberData(nameof(EveryProviderKind.Aliases), MemberType = typeof(EveryProviderKind))]
    public async Task Streamed_parallel_function_calls_reassemble_to_the_same_names_and_arguments(string alias)
    {
        var usage = new FakeUsage(310, 0, 44);
        gateway.Upstream.Enqueue(new FakeReply { ToolCalls = ToolScript.Calls, ArgumentChunks = 5, Usage = usage });
        var ids = new RequestIds();
        var chat = Connect(ids).GetChatClient(alias);

        var calls = new SortedDictionary<int, (string? Id, string? Name, StringBuilder Arguments)>();
        ChatFinishReason? finish = null;
        ChatTokenUsage? finalUsage = null;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("dotnet-stream-tools")], WithTools()))
        {
            foreach (var part in update.ToolCallUpdates)
            {
                var (id, name, arguments) = calls.TryGetValue(part.Index, out var known) ? known : (null, null, new StringBuilder());
                arguments.Append(part.FunctionArgumentsUpdate?.ToString());
                calls[part.Index] = (id ?? part.ToolCallId, name ?? part.FunctionName, arguments);
            }
            finish = update.FinishReason ?? finish;
            finalUsage = update.Usage ?? finalUsage;
        }

        Assert.Equal(ToolScript.Expected.Select(c => c.Name), calls.Values.Select(c => c.Name));
        for (var i = 0; i < ToolScript.Expected.Count; i++)
            ClientAssert.SameJson(ToolScript.Expected[i].Arguments, calls.Values.ElementAt(i).Arguments.ToString());
        Assert.Equal(2, calls.Values.Select(c => c.Id).Where(id => !string.IsNullOrEmpty(id)).Distinct().Count());
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.Equal(44, finalUsage?.OutputTokenCount);
        await ClientAssert.MeteredAsync(gateway, ids.Single(), alias, "chat", streamed: true, usage);
    }

    [Theory]
    [MemberData(nameof(EveryProviderKind.Aliases), MemberType = typeof(EveryProviderKind))]
    public async Task A_provider_refusal_reaches_the_SDK_as_its_error_with_the_provider_message(string alias)
    {
        gateway.Upstream.Enqueue(FakeReply.Error(400, "dotnet-refusal: the messages are malformed"));
        var ids = new RequestIds();
        var chat = Connect(ids).GetChatClient(alias);

        var error = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage("dotnet-refused")]));

        Assert.Equal(400, error.Status);
        Assert.Contains("dotnet-refusal: the messages are malformed", error.Message, StringComparison.Ordinal);
        Assert.Equal(ids.Single(), error.GetRawResponse()?.Headers.TryGetValue("X-Request-Id", out var id) == true ? id : null);
        var row = await gateway.CallAsync(ids.Single());
        Assert.Equal((400, "upstream_refused", 0m), (row.Status, row.ErrorClass, row.Cost));
    }

    [Theory]
    [InlineData("fake-openai", "text-embedding-3-small")]
    [InlineData("fake-azure", "embedding-deployment")]
    public async Task Embeddings_arrive_as_the_provider_computed_them_and_are_priced(string provider, string upstreamModel)
    {
        var alias = await EmbeddingAliasAsync(provider, upstreamModel);
        gateway.Upstream.Enqueue(new FakeReply { Usage = new FakeUsage(21, 0, 0) });
        var ids = new RequestIds();
        var embeddings = Connect(ids).GetEmbeddingClient(alias);

        var result = await embeddings.GenerateEmbeddingsAsync(["dotnet-embed one", "dotnet-embed two"]);

        Assert.Equal(2, result.Value.Count);
        Assert.Equal(FakeEmbeddings.Vector("dotnet-embed one", 8), result.Value[0].ToFloats().ToArray());
        Assert.Equal(FakeEmbeddings.Vector("dotnet-embed two", 8), result.Value[1].ToFloats().ToArray());
        Assert.Equal(21, result.Value.Usage.InputTokenCount);
        var row = await gateway.CallAsync(ids.Single());
        Assert.Equal((200, "embeddings", alias, provider, upstreamModel), (row.Status, row.Endpoint, row.ModelRequested, row.ProviderName, row.ModelServed));
        Assert.Equal((21L, 0L), (row.InputTokens, row.OutputTokens));
        Assert.Equal(UsageSource.Provider, row.UsageSource);
        Assert.Equal(GatewayApp.ExpectedCost(21, 0, 0), row.Cost);
    }

    /// <summary>The fixture has no embedding alias: add one as an admin would (catalogue entry, then its price).</summary>
    private async Task<string> EmbeddingAliasAsync(string providerName, string upstreamModel)
    {
        var alias = $"embed-{providerName}";
        await gateway.App.WithScopeAsync(async sp =>
        {
            await using var db = gateway.App.OpenDb();
            if (await db.CatalogModels.AnyAsync(m => m.Alias == alias)) return true;
            var providerId = (await db.Providers.SingleAsync(p => p.Name == providerName)).Id;
            var price = await sp.GetRequiredService<PriceBookService>().AddAsync(Actor.CommandLine, new PriceForm
            {
                ProviderId = providerId, UpstreamModel = upstreamModel,
                InputPerMillion = GatewayApp.InputPrice, CachedInputPerMillion = GatewayApp.CachedPrice, OutputPerMillion = GatewayApp.OutputPrice,
            });
            Assert.True(price.Succeeded, price.Error);
            var model = await sp.GetRequiredService<CatalogueService>().SaveAsync(Actor.CommandLine, null, new ModelForm
            {
                Alias = alias, Kind = ModelKinds.Embedding, Targets = [new TargetForm { ProviderId = providerId, UpstreamModel = upstreamModel }],
            });
            Assert.True(model.Succeeded, model.Error);
            return true;
        });
        return alias;
    }
}

public sealed class OpenAIDotnetTests_on_Sqlite(SqliteGatewayApp g) : OpenAIDotnetTests<SqliteGatewayApp>(g), IClassFixture<SqliteGatewayApp>;

public sealed class OpenAIDotnetTests_on_Postgres(PostgresGatewayApp g) : OpenAIDotnetTests<PostgresGatewayApp>(g), IClassFixture<PostgresGatewayApp>;
