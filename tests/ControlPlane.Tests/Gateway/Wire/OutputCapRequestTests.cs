using ControlPlane.Features.Gateway.Wire;

namespace ControlPlane.Tests.Gateway.Wire;

/// <summary>The output allowance held for a call goes upstream as the provider's cap when the caller set none.</summary>
public sealed class OutputCapRequestTests
{
    private const string NoCap = """{"model":"gpt","messages":[{"role":"user","content":"hi"}]}""";

    private static System.Text.Json.JsonElement Sent(string body, WireFormat frontDoor, WireFormat provider, string model = "upstream-model", bool stream = false, long? cap = 777) =>
        WireKit.Json(WireTranslation.TranslateRequest(WireKit.Utf8(body), frontDoor, provider, model, stream, cap));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_passthrough_OpenAI_request_without_a_cap_gets_the_held_one_as_max_tokens(bool stream)
    {
        var sent = Sent(NoCap, WireFormat.OpenAIChat, WireFormat.OpenAIChat, stream: stream);

        Assert.Equal(777, sent.GetProperty("max_tokens").GetInt32());
        Assert.False(sent.TryGetProperty("max_completion_tokens", out _));
        Assert.Equal("upstream-model", sent.GetProperty("model").GetString());
        Assert.Equal("hi", sent.GetProperty("messages")[0].GetProperty("content").GetString());
    }

    [Fact]
    public void A_passthrough_request_to_a_reasoning_model_gets_max_completion_tokens()
    {
        var sent = Sent(NoCap, WireFormat.OpenAIChat, WireFormat.OpenAIChat, model: "o3-mini");

        Assert.Equal(777, sent.GetProperty("max_completion_tokens").GetInt32());
        Assert.False(sent.TryGetProperty("max_tokens", out _));
    }

    [Fact]
    public void The_callers_own_cap_is_kept_in_the_field_it_used()
    {
        var sent = Sent("""{"model":"gpt","max_completion_tokens":50,"messages":[{"role":"user","content":"hi"}]}""", WireFormat.OpenAIChat, WireFormat.OpenAIChat, cap: 50);
        var nulled = Sent("""{"model":"gpt","max_tokens":null,"messages":[{"role":"user","content":"hi"}]}""", WireFormat.OpenAIChat, WireFormat.OpenAIChat);

        Assert.Equal(50, sent.GetProperty("max_completion_tokens").GetInt32());
        Assert.False(sent.TryGetProperty("max_tokens", out _));
        Assert.Equal(777, nulled.GetProperty("max_tokens").GetInt32());
    }

    [Fact]
    public void Anthropic_gets_the_held_cap_not_a_fixed_4096()
    {
        var sent = Sent(NoCap, WireFormat.OpenAIChat, WireFormat.AnthropicMessages, cap: 12_345);

        Assert.Equal(12_345, sent.GetProperty("max_tokens").GetInt32());
    }

    [Fact]
    public void Gemini_gets_the_held_cap_as_maxOutputTokens()
    {
        var sent = Sent(NoCap, WireFormat.OpenAIChat, WireFormat.GeminiGenerateContent, cap: 2_048);

        Assert.Equal(2_048, sent.GetProperty("generationConfig").GetProperty("maxOutputTokens").GetInt32());
    }

    [Fact]
    public void An_Anthropic_front_door_call_to_OpenAI_keeps_its_required_max_tokens()
    {
        var sent = Sent("""{"model":"c","max_tokens":300,"messages":[{"role":"user","content":"hi"}]}""", WireFormat.AnthropicMessages, WireFormat.OpenAIChat, cap: 300);

        Assert.Equal(300, sent.GetProperty("max_tokens").GetInt32());
    }
}
