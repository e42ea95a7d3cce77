using System.Text;
using System.Text.Json;
using ControlPlane.Features.Gateway.Wire;
using ControlPlane.Features.Metering;

namespace ControlPlane.Tests.Gateway.Wire;

/// <summary>Whole (non-streaming) answers: every provider into both front doors, usage and stop reasons exact.</summary>
public class ResponseTranslationTests
{
    private const string Alias = "smart";
    private static readonly long ToolArgumentCharacters = """{"location":"Paris"}""".Length;

    private static TranslatedResponse Translate(string body, WireFormat provider, WireFormat frontDoor) =>
        WireTranslation.TranslateResponse(WireKit.Utf8(body), provider, frontDoor, Alias);

    private static void AssertOpenAIAnswer(JsonElement r, string toolCallId)
    {
        Assert.Equal("chat.completion", r.GetProperty("object").GetString());
        Assert.Equal(Alias, r.GetProperty("model").GetString());
        var choice = r.GetProperty("choices")[0];
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        var message = choice.GetProperty("message");
        Assert.Equal("assistant", message.GetProperty("role").GetString());
        Assert.Equal("Let me check.", message.GetProperty("content").GetString());
        var call = message.GetProperty("tool_calls")[0];
        Assert.Equal(toolCallId, call.GetProperty("id").GetString());
        Assert.Equal("function", call.GetProperty("type").GetString());
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("Paris", WireKit.Json(call.GetProperty("function").GetProperty("arguments").GetString()!).GetProperty("location").GetString());
    }

    private static void AssertAnthropicAnswer(JsonElement r, string toolUseId)
    {
        Assert.Equal("message", r.GetProperty("type").GetString());
        Assert.Equal("assistant", r.GetProperty("role").GetString());
        Assert.Equal(Alias, r.GetProperty("model").GetString());
        Assert.Equal("tool_use", r.GetProperty("stop_reason").GetString());
        Assert.Equal(JsonValueKind.Null, r.GetProperty("stop_sequence").ValueKind);
        var content = r.GetProperty("content").EnumerateArray().ToList();
        Assert.Equal(2, content.Count);
        Assert.Equal("text", content[0].GetProperty("type").GetString());
        Assert.Equal("Let me check.", content[0].GetProperty("text").GetString());
        Assert.Equal("tool_use", content[1].GetProperty("type").GetString());
        Assert.Equal(toolUseId, content[1].GetProperty("id").GetString());
        Assert.Equal("get_weather", content[1].GetProperty("name").GetString());
        Assert.Equal("Paris", content[1].GetProperty("input").GetProperty("location").GetString());
    }

    [Fact]
    public void OpenAI_to_OpenAI_rewrites_only_the_model()
    {
        var t = Translate(WireSamples.OpenAIResponse, WireFormat.OpenAIChat, WireFormat.OpenAIChat);
        Assert.Equal(WireSamples.OpenAIResponse.Replace("\"gpt-4o-2024-08-06\"", "\"smart\"", StringComparison.Ordinal), Encoding.UTF8.GetString(t.Body));
        Assert.Equal(new TokenUsage(42, 10, 17), t.Usage);
        Assert.Equal("tool_calls", t.StopReason);
        Assert.Equal("Let me check.".Length + ToolArgumentCharacters, t.OutputCharacters);
    }

    [Fact]
    public void Anthropic_to_Anthropic_rewrites_only_the_model()
    {
        var t = Translate(WireSamples.AnthropicResponse, WireFormat.AnthropicMessages, WireFormat.AnthropicMessages);
        Assert.Equal(WireSamples.AnthropicResponse.Replace("\"claude-sonnet-4-5-20250929\"", "\"smart\"", StringComparison.Ordinal), Encoding.UTF8.GetString(t.Body));
        Assert.Equal(new TokenUsage(130, 100, 17, 5), t.Usage); // 25 uncached + 100 read + 5 written
        Assert.Equal("tool_use", t.StopReason);
        Assert.Equal("Let me check.".Length + ToolArgumentCharacters, t.OutputCharacters);
    }

    [Fact]
    public void Anthropic_to_OpenAI_gives_a_chat_completion_with_tool_calls_and_all_input_counted()
    {
        var t = Translate(WireSamples.AnthropicResponse, WireFormat.AnthropicMessages, WireFormat.OpenAIChat);
        var r = WireKit.Json(t.Body);
        AssertOpenAIAnswer(r, "toolu_01A");
        var usage = r.GetProperty("usage");
        Assert.Equal(130, usage.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(17, usage.GetProperty("completion_tokens").GetInt64());
        Assert.Equal(147, usage.GetProperty("total_tokens").GetInt64());
        Assert.Equal(100, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt64());
        Assert.Equal(new TokenUsage(130, 100, 17, 5), t.Usage);
        Assert.Equal("tool_calls", t.StopReason);
        Assert.Equal("Let me check.".Length + ToolArgumentCharacters, t.OutputCharacters);
    }

    [Fact]
    public void OpenAI_to_Anthropic_gives_a_message_with_tool_use_and_uncached_input_tokens()
    {
        var t = Translate(WireSamples.OpenAIResponse, WireFormat.OpenAIChat, WireFormat.AnthropicMessages);
        var r = WireKit.Json(t.Body);
        AssertAnthropicAnswer(r, "call_abc");
        var usage = r.GetProperty("usage");
        Assert.Equal(32, usage.GetProperty("input_tokens").GetInt64());
        Assert.Equal(10, usage.GetProperty("cache_read_input_tokens").GetInt64());
        Assert.Equal(0, usage.GetProperty("cache_creation_input_tokens").GetInt64());
        Assert.Equal(17, usage.GetProperty("output_tokens").GetInt64());
        Assert.Equal(new TokenUsage(42, 10, 17), t.Usage);
        Assert.Equal("tool_use", t.StopReason);
    }

    [Fact]
    public void Gemini_to_OpenAI_numbers_the_calls_leaves_out_thoughts_and_counts_thinking_as_output()
    {
        var t = Translate(WireSamples.GeminiResponse, WireFormat.GeminiGenerateContent, WireFormat.OpenAIChat);
        var r = WireKit.Json(t.Body);
        AssertOpenAIAnswer(r, "call_0");
        Assert.Equal("r1", r.GetProperty("id").GetString());
        var usage = r.GetProperty("usage");
        Assert.Equal(42, usage.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(17, usage.GetProperty("completion_tokens").GetInt64());
        Assert.Equal(10, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt64());
        Assert.Equal(new TokenUsage(42, 10, 17), t.Usage);
        Assert.Equal("tool_calls", t.StopReason); // Gemini says STOP after a function call
        Assert.Equal("Let me check.".Length + ToolArgumentCharacters, t.OutputCharacters);
    }

    [Fact]
    public void Gemini_to_Anthropic_gives_tool_use_with_a_synthesized_id()
    {
        var t = Translate(WireSamples.GeminiResponse, WireFormat.GeminiGenerateContent, WireFormat.AnthropicMessages);
        var r = WireKit.Json(t.Body);
        AssertAnthropicAnswer(r, "call_0");
        Assert.Equal(32, r.GetProperty("usage").GetProperty("input_tokens").GetInt64());
        Assert.Equal(10, r.GetProperty("usage").GetProperty("cache_read_input_tokens").GetInt64());
        Assert.Equal(17, r.GetProperty("usage").GetProperty("output_tokens").GetInt64());
        Assert.Equal(new TokenUsage(42, 10, 17), t.Usage);
        Assert.Equal("tool_use", t.StopReason);
    }

    [Theory]
    [InlineData("stop", "end_turn")]
    [InlineData("length", "max_tokens")]
    [InlineData("content_filter", "refusal")]
    public void OpenAI_finish_reasons_map_to_Anthropic_stop_reasons(string finish, string stop)
    {
        var t = Translate($$$"""{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"{{{finish}}}"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}""",
            WireFormat.OpenAIChat, WireFormat.AnthropicMessages);
        Assert.Equal(stop, WireKit.Json(t.Body).GetProperty("stop_reason").GetString());
        Assert.Equal(stop, t.StopReason);
        Assert.Equal(new TokenUsage(3, 0, 1), t.Usage);
        Assert.Equal(2, t.OutputCharacters);
    }

    [Theory]
    [InlineData("end_turn", "stop")]
    [InlineData("stop_sequence", "stop")]
    [InlineData("max_tokens", "length")]
    [InlineData("refusal", "content_filter")]
    public void Anthropic_stop_reasons_map_to_OpenAI_finish_reasons(string stop, string finish)
    {
        var t = Translate($$$"""{"id":"m","type":"message","role":"assistant","content":[{"type":"text","text":"Hi"}],"stop_reason":"{{{stop}}}","usage":{"input_tokens":3,"output_tokens":1}}""",
            WireFormat.AnthropicMessages, WireFormat.OpenAIChat);
        var r = WireKit.Json(t.Body);
        Assert.Equal(finish, r.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal("Hi", r.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.False(r.GetProperty("choices")[0].GetProperty("message").TryGetProperty("tool_calls", out _));
        Assert.Equal(finish, t.StopReason);
    }

    [Theory]
    [InlineData("STOP", "stop", "end_turn")]
    [InlineData("MAX_TOKENS", "length", "max_tokens")]
    [InlineData("SAFETY", "content_filter", "refusal")]
    [InlineData("RECITATION", "content_filter", "refusal")]
    public void Gemini_finish_reasons_map_to_both_front_doors(string gemini, string openAI, string anthropic)
    {
        var body = $$$"""{"candidates":[{"content":{"parts":[{"text":"Hi"}],"role":"model"},"finishReason":"{{{gemini}}}","index":0}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":1,"totalTokenCount":4}}""";
        Assert.Equal(openAI, Translate(body, WireFormat.GeminiGenerateContent, WireFormat.OpenAIChat).StopReason);
        Assert.Equal(anthropic, Translate(body, WireFormat.GeminiGenerateContent, WireFormat.AnthropicMessages).StopReason);
        Assert.Equal(new TokenUsage(3, 0, 1), Translate(body, WireFormat.GeminiGenerateContent, WireFormat.OpenAIChat).Usage);
    }

    [Fact]
    public void A_Gemini_prompt_blocked_outright_is_an_empty_content_filtered_answer()
    {
        var t = Translate("""{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":8,"totalTokenCount":8}}""",
            WireFormat.GeminiGenerateContent, WireFormat.OpenAIChat);
        var r = WireKit.Json(t.Body);
        Assert.Equal("content_filter", r.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal("", r.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(new TokenUsage(8, 0, 0), t.Usage);
        Assert.Equal(0, t.OutputCharacters);
    }

    [Fact]
    public void An_OpenAI_answer_without_usage_gives_no_usage_and_Anthropic_zeros()
    {
        var t = Translate("""{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}]}""",
            WireFormat.OpenAIChat, WireFormat.AnthropicMessages);
        Assert.Null(t.Usage);
        Assert.Equal(0, WireKit.Json(t.Body).GetProperty("usage").GetProperty("output_tokens").GetInt64());
    }

    [Fact]
    public void An_answer_with_only_tool_calls_has_null_content_for_OpenAI()
    {
        var t = Translate("""{"id":"m","type":"message","role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":{}}],"stop_reason":"tool_use","usage":{"input_tokens":1,"output_tokens":1}}""",
            WireFormat.AnthropicMessages, WireFormat.OpenAIChat);
        var message = WireKit.Json(t.Body).GetProperty("choices")[0].GetProperty("message");
        Assert.Equal(JsonValueKind.Null, message.GetProperty("content").ValueKind);
        Assert.Equal("{}", message.GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString());
    }
}
