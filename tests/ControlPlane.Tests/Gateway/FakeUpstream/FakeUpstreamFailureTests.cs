using System.Net;
using System.Text.Json.Nodes;
using static ControlPlane.Tests.Gateway.FakeUpstream.FakeClient;

namespace ControlPlane.Tests.Gateway.FakeUpstream;

/// <summary>The failure modes the fake can play (errors, cuts, slowness) and the scripting and recording around them.</summary>
public sealed class FakeUpstreamFailureTests : IAsyncLifetime
{
    private const string OpenAIStream = """{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}""";
    private FakeUpstream _upstream = default!;
    private HttpClient _http = default!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstream.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_upstream.BaseUrl) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _upstream.DisposeAsync();
    }

    [Theory]
    [InlineData(FakeProvider.OpenAI, "/v1/chat/completions", """{"model":"m","messages":[]}""", "error.type", "requests")]
    [InlineData(FakeProvider.AzureOpenAI, "/openai/deployments/d/chat/completions?api-version=2024-10-21", """{"messages":[]}""", "error.code", "429")]
    [InlineData(FakeProvider.Anthropic, "/v1/messages", """{"model":"m","max_tokens":1,"messages":[]}""", "error.type", "rate_limit_error")]
    [InlineData(FakeProvider.Gemini, "/v1beta/models/m:generateContent", """{"contents":[]}""", "error.status", "RESOURCE_EXHAUSTED")]
    public async Task A_429_carries_Retry_After_and_the_providers_error_body(FakeProvider provider, string path, string body, string field, string expected)
    {
        _upstream.Enqueue(FakeReply.Error(429, "Slow down", TimeSpan.FromMilliseconds(1500)));

        using var response = await _http.SendAsync(Post(provider, path, body));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter!.Delta);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var (outer, inner) = (field.Split('.')[0], field.Split('.')[1]);
        Assert.Equal(expected, json[outer]![inner]!.ToString());
        Assert.Equal("Slow down", (string?)json["error"]!["message"]);
    }

    [Theory]
    [InlineData(FakeProvider.OpenAI, "/v1/chat/completions", 401, "error.code", "invalid_api_key")]
    [InlineData(FakeProvider.AzureOpenAI, "/openai/deployments/d/chat/completions?api-version=2024-10-21", 401, "error.code", "401")]
    [InlineData(FakeProvider.Anthropic, "/v1/messages", 401, "error.type", "authentication_error")]
    [InlineData(FakeProvider.Gemini, "/v1beta/models/m:generateContent", 400, "error.status", "INVALID_ARGUMENT")]
    public async Task A_wrong_key_is_refused_in_the_providers_format(FakeProvider provider, string path, int status, string field, string expected)
    {
        using var response = await _http.SendAsync(Post(provider, path, "{}", key: "sk-wrong-key-123456"));

        Assert.Equal(status, (int)response.StatusCode);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(expected, json[field.Split('.')[0]]![field.Split('.')[1]]!.ToString());
        Assert.NotEmpty((string?)json["error"]!["message"] ?? "");
    }

    [Fact]
    public async Task A_missing_key_is_refused_too_and_Gemini_says_permission_denied()
    {
        using var openAI = await _http.SendAsync(Post(FakeProvider.OpenAI, "/v1/chat/completions", "{}", key: null));
        using var anthropic = await _http.SendAsync(Post(FakeProvider.Anthropic, "/v1/messages", "{}", key: null));
        using var gemini = await _http.SendAsync(Post(FakeProvider.Gemini, "/v1beta/models/m:generateContent", "{}", key: null));

        Assert.Equal(HttpStatusCode.Unauthorized, openAI.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anthropic.StatusCode);
        Assert.Equal("error", (string?)JsonNode.Parse(await anthropic.Content.ReadAsStringAsync())!["type"]);
        Assert.Equal(HttpStatusCode.Forbidden, gemini.StatusCode);
        Assert.Equal("PERMISSION_DENIED", (string?)JsonNode.Parse(await gemini.Content.ReadAsStringAsync())!["error"]!["status"]);
        Assert.Null(_upstream.Requests[0].Header("Authorization"));
    }

    [Fact]
    public async Task A_cut_stream_fails_the_client_while_reading_after_the_chunks_before_the_cut()
    {
        _upstream.Enqueue(new FakeReply { Text = "aaaabbbbccccddddeeee", Chunks = 5, CutAfterChunks = 2 });

        using var response = await _http.SendAsync(Post(FakeProvider.OpenAI, "/v1/chat/completions", OpenAIStream), HttpCompletionOption.ResponseHeadersRead);
        var events = new List<SseEvent>();
        var error = await Assert.ThrowsAnyAsync<IOException>(() => ReadEventsAsync(response, events));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.IsType<HttpIOException>(error);
        Assert.Equal(3, events.Count); // the role chunk and two content chunks, no finish, no [DONE]
        Assert.Equal("aaaabbbb", string.Concat(events.Skip(1).Select(e => (string?)e.Json()["choices"]![0]!["delta"]!["content"])));
    }

    [Fact]
    public async Task A_cut_plain_response_fails_the_client_before_it_has_a_body()
    {
        _upstream.Enqueue(new FakeReply { CutAfterChunks = 0 });

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => _http.SendAsync(Post(FakeProvider.Anthropic, "/v1/messages", """{"model":"m","max_tokens":1,"messages":[]}""")));

        Assert.IsType<HttpIOException>(error.InnerException);
    }

    [Fact]
    public async Task Disposing_with_a_slow_stream_still_open_ends_it()
    {
        var upstream = await FakeUpstream.StartAsync();
        upstream.Enqueue(new FakeReply { ChunkDelay = TimeSpan.FromSeconds(30) });
        using var http = new HttpClient { BaseAddress = new Uri(upstream.BaseUrl) };
        using var response = await http.SendAsync(Post(FakeProvider.OpenAI, "/v1/chat/completions", OpenAIStream), HttpCompletionOption.ResponseHeadersRead);

        await upstream.DisposeAsync(); // would wait out the 30 s chunk if disposing did not end open streams

        await Assert.ThrowsAnyAsync<IOException>(() => ReadEventsAsync(response));
    }

    [Fact]
    public async Task Replies_are_used_in_order_then_the_persistent_one_then_the_echo()
    {
        _upstream.Enqueue(FakeReply.Error(500), new FakeReply { Text = "second" });
        const string body = """{"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"text","text":"ping"}]}]}""";

        var answers = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await _http.SendAsync(Post(FakeProvider.OpenAI, "/v1/chat/completions", body));
            var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            answers.Add($"{(int)response.StatusCode} {json["choices"]?[0]?["message"]?["content"] ?? json["error"]!["type"]}");
        }
        _upstream.Always(FakeReply.Error(503), FakeProvider.OpenAI);
        using var down = await _http.SendAsync(Post(FakeProvider.OpenAI, "/v1/chat/completions", body));
        using var list = await _http.SendAsync(Get(FakeProvider.OpenAI, "/v1/models"));
        using var other = await _http.SendAsync(Post(FakeProvider.Gemini, "/v1beta/models/m:generateContent", """{"contents":[]}"""));

        Assert.Equal(["500 server_error", "200 second", "200 Echo: ping"], answers);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, list.StatusCode);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task Every_request_is_recorded_with_method_path_headers_and_body_even_refused_ones()
    {
        const string body = """{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[]}""";
        using (await _http.SendAsync(Post(FakeProvider.OpenAI, "/v1/chat/completions", body))) { }
        using (await _http.SendAsync(Post(FakeProvider.Anthropic, "/v1/messages", "{}", key: "wrong"))) { }

        var requests = _upstream.Requests;

        Assert.Equal(2, requests.Count);
        Assert.Equal(FakeProvider.OpenAI, requests[0].Provider);
        Assert.Equal("POST", requests[0].Method);
        Assert.Equal("/v1/chat/completions", requests[0].PathAndQuery);
        Assert.Equal($"Bearer {FakeUpstream.ApiKey}", requests[0].Header("authorization"));
        Assert.True((bool)requests[0].Json()["stream_options"]!["include_usage"]!);
        Assert.Equal(FakeProvider.Anthropic, requests[1].Provider);
        Assert.Equal("wrong", requests[1].Header("x-api-key"));
        Assert.Equal("{}", requests[1].Body);
    }
}
