using System.Text;
using ControlPlane.Features.Gateway.Wire;

namespace ControlPlane.Tests.Gateway.Wire;

/// <summary>Same-format requests: the caller's bytes, with only model (and the stream flags) changed.</summary>
public class PassthroughRequestTests
{
    private static string Translate(string body, WireFormat format, bool stream, string model = "gpt-4o-2024-08-06") =>
        Encoding.UTF8.GetString(WireTranslation.TranslateRequest(WireKit.Utf8(body), format, format, model, stream));

    [Fact]
    public void OpenAI_request_keeps_every_byte_but_the_model()
    {
        const string Body = """
            {"model": "smart",  "messages":[{"role":"user","content":"h\u00e9llo ☃"}], "seed": 7, "logit_bias":{"50256":-100},
             "x_unknown": {"nested": [1, 2.50, true]}, "temperature": 0.70}
            """;
        var result = Translate(Body, WireFormat.OpenAIChat, stream: false);
        Assert.Equal(Body.Replace("\"smart\"", "\"gpt-4o-2024-08-06\"", StringComparison.Ordinal), result);
    }

    [Fact]
    public void OpenAI_streaming_request_gets_include_usage_added()
    {
        var result = WireKit.Json(Translate("""{"model":"smart","stream":true,"messages":[{"role":"user","content":"hi"}]}""", WireFormat.OpenAIChat, stream: true));
        Assert.Equal("gpt-4o-2024-08-06", result.GetProperty("model").GetString());
        Assert.True(result.GetProperty("stream").GetBoolean());
        Assert.True(result.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
    }

    [Fact]
    public void OpenAI_stream_options_keep_their_other_keys_and_include_usage_is_forced_on()
    {
        var result = Translate("""{"model":"smart","stream":true,"stream_options":{"include_obfuscation":false,"include_usage":false},"messages":[]}""", WireFormat.OpenAIChat, stream: true, model: "up");
        Assert.Equal("""{"model":"up","stream":true,"stream_options":{"include_obfuscation":false,"include_usage":true},"messages":[]}""", result);

        result = Translate("""{"model":"smart","stream":true,"stream_options":{"include_obfuscation":false},"messages":[]}""", WireFormat.OpenAIChat, stream: true, model: "up");
        Assert.Equal("""{"model":"up","stream":true,"stream_options":{"include_usage":true,"include_obfuscation":false},"messages":[]}""", result);

        result = Translate("""{"model":"smart","stream":true,"stream_options":{},"messages":[]}""", WireFormat.OpenAIChat, stream: true, model: "up");
        Assert.Equal("""{"model":"up","stream":true,"stream_options":{"include_usage":true},"messages":[]}""", result);

        result = Translate("""{"model":"smart","stream":true,"stream_options":null,"messages":[]}""", WireFormat.OpenAIChat, stream: true, model: "up");
        Assert.Equal("""{"model":"up","stream":true,"stream_options":{"include_usage":true},"messages":[]}""", result);
    }

    [Fact]
    public void OpenAI_stream_flag_is_added_when_the_relay_streams_a_request_that_did_not_say_so()
    {
        var result = Translate("""{"model":"smart","messages":[]}""", WireFormat.OpenAIChat, stream: true, model: "up");
        Assert.Equal("""{"model":"up","messages":[],"stream":true,"stream_options":{"include_usage":true}}""", result);
    }

    [Fact]
    public void Anthropic_request_keeps_every_byte_but_the_model_and_gets_no_stream_options()
    {
        const string Body = """
            {"model":"claude-smart","max_tokens":1024,"stream":true,"thinking":{"type":"enabled","budget_tokens":2000},
             "system":[{"type":"text","text":"You are terse.","cache_control":{"type":"ephemeral"}}],
             "messages":[{"role":"user","content":"Hi"}]}
            """;
        var result = Translate(Body, WireFormat.AnthropicMessages, stream: true, model: "claude-sonnet-4-5-20250929");
        Assert.Equal(Body.Replace("\"claude-smart\"", "\"claude-sonnet-4-5-20250929\"", StringComparison.Ordinal), result);
    }

    [Fact]
    public void A_model_name_needing_escapes_is_written_as_valid_json()
    {
        var result = WireKit.Json(Translate("""{"model":"a","messages":[]}""", WireFormat.OpenAIChat, stream: false, model: "we\"ird\\name"));
        Assert.Equal("we\"ird\\name", result.GetProperty("model").GetString());
    }
}
