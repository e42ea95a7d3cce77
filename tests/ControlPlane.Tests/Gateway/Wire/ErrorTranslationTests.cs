using System.Text.Json;
using ControlPlane.Features.Gateway.Wire;

namespace ControlPlane.Tests.Gateway.Wire;

/// <summary>Error bodies for the front doors, provider error bodies read back, and errors in the middle of streams.</summary>
public class ErrorTranslationTests
{
    [Fact]
    public void OpenAI_error_body_has_message_type_param_and_code()
    {
        var body = WireKit.Json(WireTranslation.ErrorBody(WireFormat.OpenAIChat, new WireError(400, "invalid_request_error", "Bad model.", "model", "model_not_found")));
        var error = body.GetProperty("error");
        Assert.Equal("Bad model.", error.GetProperty("message").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal("model", error.GetProperty("param").GetString());
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
    }

    [Fact]
    public void OpenAI_error_body_has_null_param_and_code_when_absent_and_keeps_any_type()
    {
        var error = WireKit.Json(WireTranslation.ErrorBody(WireFormat.OpenAIChat, new WireError(402, "budget_exceeded", "No budget left."))).GetProperty("error");
        Assert.Equal("budget_exceeded", error.GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Null, error.GetProperty("param").ValueKind);
        Assert.Equal(JsonValueKind.Null, error.GetProperty("code").ValueKind);
    }

    [Theory]
    [InlineData(400, "invalid_request_error", "invalid_request_error")]
    [InlineData(401, "authentication_error", "authentication_error")]
    [InlineData(403, "permission_error", "permission_error")]
    [InlineData(404, "not_found_error", "not_found_error")]
    [InlineData(429, "rate_limit_error", "rate_limit_error")]
    [InlineData(500, "api_error", "api_error")]
    [InlineData(529, "overloaded_error", "overloaded_error")]
    [InlineData(402, "budget_exceeded", "billing_error")]
    [InlineData(429, "requests_per_minute", "rate_limit_error")]
    [InlineData(502, "server_error", "api_error")]
    [InlineData(503, "upstream_unavailable", "overloaded_error")]
    public void Anthropic_error_body_uses_Anthropic_types(int status, string type, string anthropicType)
    {
        var body = WireKit.Json(WireTranslation.ErrorBody(WireFormat.AnthropicMessages, new WireError(status, type, "Something.")));
        Assert.Equal("error", body.GetProperty("type").GetString());
        Assert.Equal(anthropicType, body.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("Something.", body.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public void Provider_errors_are_read_with_their_message()
    {
        var openAI = WireTranslation.ReadProviderError(WireKit.Utf8("""{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}"""), WireFormat.OpenAIChat, 429);
        Assert.Equal(new WireError(429, "requests", "Rate limit reached", null, "rate_limit_exceeded"), openAI);

        var anthropic = WireTranslation.ReadProviderError(WireKit.Utf8("""{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_1"}"""), WireFormat.AnthropicMessages, 529);
        Assert.Equal(new WireError(529, "overloaded_error", "Overloaded"), anthropic);

        var gemini = WireTranslation.ReadProviderError(WireKit.Utf8("""{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}}"""), WireFormat.GeminiGenerateContent, 429);
        Assert.Equal(new WireError(429, "rate_limit_error", "Resource has been exhausted", null, "RESOURCE_EXHAUSTED"), gemini);

        var ollama = WireTranslation.ReadProviderError(WireKit.Utf8("""{"error":"model 'x' not found"}"""), WireFormat.OpenAIChat, 404);
        Assert.Equal(new WireError(404, "not_found_error", "model 'x' not found"), ollama);

        var typeless = WireTranslation.ReadProviderError(WireKit.Utf8("""{"error":{"message":"boom","code":500}}"""), WireFormat.OpenAIChat, 500);
        Assert.Equal(new WireError(500, "api_error", "boom", null, "500"), typeless);
    }

    [Theory]
    [InlineData("<html>Bad gateway</html>")]
    [InlineData("")]
    [InlineData("""{"detail":"nope"}""")]
    [InlineData("""{"error":{"code":1}}""")]
    public void Unreadable_provider_errors_give_null(string body)
    {
        Assert.Null(WireTranslation.ReadProviderError(WireKit.Utf8(body), WireFormat.OpenAIChat, 502));
    }

    private const string AnthropicErrorMidStream = """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":1}}}

        event: ping
        data: {"type": "ping"}

        event: error
        data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}
        """;

    [Fact]
    public async Task An_Anthropic_error_event_reaches_the_OpenAI_front_door_as_an_error_and_nothing_after()
    {
        var t = WireTranslation.CreateStream(WireFormat.AnthropicMessages, WireFormat.OpenAIChat, "smart");
        var s = OpenAIStream.Parse(await WireKit.RelayAsync(t, AnthropicErrorMidStream), "smart");
        Assert.Equal("overloaded_error", s.Error!.Value.GetProperty("type").GetString());
        Assert.Equal("Overloaded", s.Error!.Value.GetProperty("message").GetString());
        Assert.False(s.Done);
        Assert.Null(s.FinishReason);
        Assert.Equal("", s.Text.ToString());
        Assert.False(t.SawContent);
        Assert.Equal(0, t.OutputCharacters);
        Assert.Null(t.StopReason);
    }

    [Fact]
    public async Task An_OpenAI_error_chunk_reaches_the_Anthropic_front_door_as_an_error_event()
    {
        const string Wire = """
            data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}

            data: {"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}
            """;
        var t = WireTranslation.CreateStream(WireFormat.OpenAIChat, WireFormat.AnthropicMessages, "smart");
        var s = AnthropicStream.Parse(await WireKit.RelayAsync(t, Wire), "smart");
        Assert.Equal("api_error", s.Error!.Value.GetProperty("type").GetString());
        Assert.Equal("The server had an error", s.Error!.Value.GetProperty("message").GetString());
        Assert.Equal(["message_start", "error"], s.EventNames);
        Assert.False(s.Stopped);
        Assert.False(t.SawContent);
    }

    [Fact]
    public async Task A_Gemini_error_chunk_reaches_both_front_doors_as_errors()
    {
        const string Wire = """
            data: {"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}
            """;
        var toOpenAI = WireTranslation.CreateStream(WireFormat.GeminiGenerateContent, WireFormat.OpenAIChat, "smart");
        var o = OpenAIStream.Parse(await WireKit.RelayAsync(toOpenAI, Wire), "smart");
        Assert.Equal("overloaded_error", o.Error!.Value.GetProperty("type").GetString());
        Assert.Equal(0, o.Chunks);

        var toAnthropic = WireTranslation.CreateStream(WireFormat.GeminiGenerateContent, WireFormat.AnthropicMessages, "smart");
        var a = AnthropicStream.Parse(await WireKit.RelayAsync(toAnthropic, Wire), "smart");
        Assert.Equal(["error"], a.EventNames);
        Assert.Equal("The model is overloaded.", a.Error!.Value.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Passthrough_relays_provider_errors_as_they_came()
    {
        var anthropic = WireTranslation.CreateStream(WireFormat.AnthropicMessages, WireFormat.AnthropicMessages, "smart");
        var output = await WireKit.RelayAsync(anthropic, AnthropicErrorMidStream);
        Assert.EndsWith("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n", output, StringComparison.Ordinal);
        Assert.False(anthropic.SawContent);

        var openAI = WireTranslation.CreateStream(WireFormat.OpenAIChat, WireFormat.OpenAIChat, "smart");
        output = await WireKit.RelayAsync(openAI, """data: {"error":{"message":"boom","type":"server_error"}}""");
        Assert.Equal("data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}\n\n", output); // no [DONE] after an error
        Assert.Null(openAI.Usage);
    }

    [Fact]
    public async Task Passthrough_adds_done_when_an_OpenAI_compatible_server_left_it_out()
    {
        var t = WireTranslation.CreateStream(WireFormat.OpenAIChat, WireFormat.OpenAIChat, "smart");
        var output = await WireKit.RelayAsync(t, """data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"llama3","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}]}""");
        Assert.EndsWith("\n\ndata: [DONE]\n\n", output, StringComparison.Ordinal);
        var s = OpenAIStream.Parse(output, "smart");
        Assert.Equal("Hi", s.Text.ToString());
        Assert.Equal("stop", t.StopReason);
    }
}
