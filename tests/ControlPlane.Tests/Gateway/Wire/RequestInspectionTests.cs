using ControlPlane.Features.Gateway.Wire;

namespace ControlPlane.Tests.Gateway.Wire;

/// <summary>TryInspect: what it reads from good requests and how it refuses bad ones.</summary>
public class RequestInspectionTests
{
    private static RequestInfo Inspect(string body, WireFormat frontDoor)
    {
        Assert.True(WireTranslation.TryInspect(WireKit.Utf8(body), frontDoor, out var info, out var error), error?.Message);
        Assert.Null(error);
        return info!;
    }

    private static WireError Refuse(string body, WireFormat frontDoor)
    {
        Assert.False(WireTranslation.TryInspect(WireKit.Utf8(body), frontDoor, out var info, out var error));
        Assert.Null(info);
        Assert.NotNull(error);
        Assert.Equal(400, error.Status);
        Assert.Equal("invalid_request_error", error.Type);
        return error;
    }

    [Fact]
    public void OpenAI_request_gives_model_stream_max_tokens_user_and_an_estimate()
    {
        // 8 + 12 + 16 characters of text = 36 → 9 tokens.
        var info = Inspect("""
            {"model":"gpt-4o","stream":true,"max_completion_tokens":300,"max_tokens":100,"user":"u-42",
             "messages":[{"role":"system","content":"Be brief"},{"role":"user","content":"Hello there!"},
                         {"role":"assistant","content":[{"type":"text","text":"Hi, how can I?"}]}]}
            """, WireFormat.OpenAIChat);

        Assert.Equal("gpt-4o", info.Model);
        Assert.True(info.Stream);
        Assert.Equal(300, info.MaxOutputTokens);
        Assert.Equal("u-42", info.EndUser);
        Assert.Equal(9, info.EstimatedInputTokens);
        Assert.False(info.UsesTools);
        Assert.False(info.UsesImages);
    }

    [Fact]
    public void OpenAI_max_tokens_is_used_when_max_completion_tokens_is_absent()
    {
        var info = Inspect("""{"model":"m","max_tokens":64,"messages":[{"role":"user","content":"abcd"}]}""", WireFormat.OpenAIChat);
        Assert.Equal(64, info.MaxOutputTokens);
        Assert.False(info.Stream);
        Assert.Null(info.EndUser);
        Assert.Equal(1, info.EstimatedInputTokens);
    }

    [Fact]
    public void Images_count_a_flat_thousand_tokens_and_tool_schemas_count_as_text()
    {
        const string Tool = """{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}""";
        var info = Inspect($$$"""
            {"model":"m","tools":[{{{Tool}}}],"messages":[{"role":"user","content":[
              {"type":"text","text":"What is it?"},
              {"type":"image_url","image_url":{"url":"https://example.com/a.png"}},
              {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]}
            """, WireFormat.OpenAIChat);

        Assert.True(info.UsesImages);
        Assert.True(info.UsesTools);
        var characters = "What is it?".Length + Tool.Length;
        Assert.Equal(((characters + 3) / 4) + 2000, info.EstimatedInputTokens);
    }

    [Fact]
    public void OpenAI_tool_history_counts_as_using_tools()
    {
        var info = Inspect("""
            {"model":"m","messages":[{"role":"user","content":"hi"},
              {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},
              {"role":"tool","tool_call_id":"c1","content":"42"}]}
            """, WireFormat.OpenAIChat);
        Assert.True(info.UsesTools);
    }

    [Fact]
    public void Anthropic_request_gives_max_tokens_user_id_and_counts_system_images_and_tool_results()
    {
        var info = Inspect("""
            {"model":"claude-x","max_tokens":1024,"stream":false,"metadata":{"user_id":"user-7"},
             "system":[{"type":"text","text":"Be nice"}],
             "messages":[{"role":"user","content":[{"type":"text","text":"Look"},
                 {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBOR"}}]},
               {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"zoom","input":{}}]},
               {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"done"}]}]}]}
            """, WireFormat.AnthropicMessages);

        Assert.Equal("claude-x", info.Model);
        Assert.False(info.Stream);
        Assert.Equal(1024, info.MaxOutputTokens);
        Assert.Equal("user-7", info.EndUser);
        Assert.True(info.UsesImages);
        Assert.True(info.UsesTools);
        // "Be nice" 7 + "Look" 4 + "zoom" 4 + "{}" 2 + "done" 4 = 21 → 6, plus one image.
        Assert.Equal(6 + 1000, info.EstimatedInputTokens);
    }

    [Fact]
    public void Malformed_json_is_refused_with_its_position()
    {
        var error = Refuse("""{"model":"m" "messages":[]}""", WireFormat.OpenAIChat);
        Assert.Contains("not valid JSON", error.Message, StringComparison.Ordinal);
        Assert.Contains("line 1, byte offset 13", error.Message, StringComparison.Ordinal);
        Assert.Null(error.Param);
    }

    [Fact]
    public void An_empty_body_is_refused()
    {
        Assert.Contains("empty", Refuse("  ", WireFormat.OpenAIChat).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    [InlineData("42")]
    public void A_body_that_is_not_an_object_is_refused(string body)
    {
        Assert.Contains("JSON object", Refuse(body, WireFormat.OpenAIChat).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"x"}]}""")]
    [InlineData("""{"model":"","messages":[{"role":"user","content":"x"}]}""")]
    [InlineData("""{"model":7,"messages":[{"role":"user","content":"x"}]}""")]
    public void A_missing_or_empty_model_is_refused_naming_model(string body)
    {
        Assert.Equal("model", Refuse(body, WireFormat.OpenAIChat).Param);
    }

    [Theory]
    [InlineData("""{"model":"m"}""")]
    [InlineData("""{"model":"m","messages":[]}""")]
    [InlineData("""{"model":"m","messages":"hi"}""")]
    public void Missing_or_empty_messages_are_refused_naming_messages(string body)
    {
        Assert.Equal("messages", Refuse(body, WireFormat.OpenAIChat).Param);
    }

    [Theory]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}],"stream":"yes"}""", "stream")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":0}""", "max_tokens")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":-5}""", "max_tokens")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":2.5}""", "max_tokens")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":"100"}""", "max_tokens")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}],"max_completion_tokens":0}""", "max_completion_tokens")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"}""", "temperature")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}],"stop":[1]}""", "stop")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}],"user":5}""", "user")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}],"tools":{}}""", "tools")]
    [InlineData("""{"model":"m","messages":["hi"]}""", "messages[0].role")]
    public void Fields_of_the_wrong_type_are_refused_naming_the_field(string body, string param)
    {
        Assert.Equal(param, Refuse(body, WireFormat.OpenAIChat).Param);
    }

    [Fact]
    public void Null_optional_fields_are_accepted()
    {
        var info = Inspect("""{"model":"m","messages":[{"role":"user","content":"x"}],"stream":null,"max_tokens":null,"stop":null,"user":null}""", WireFormat.OpenAIChat);
        Assert.False(info.Stream);
        Assert.Null(info.MaxOutputTokens);
    }

    [Fact]
    public void Anthropic_without_max_tokens_is_refused()
    {
        var error = Refuse("""{"model":"claude","messages":[{"role":"user","content":"hi"}]}""", WireFormat.AnthropicMessages);
        Assert.Equal("max_tokens", error.Param);
        Assert.Contains("required", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"model":"c","max_tokens":10,"messages":[{"role":"system","content":"hi"}]}""", "messages[0].role")]
    [InlineData("""{"model":"c","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"system":5}""", "system")]
    [InlineData("""{"model":"c","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"metadata":{"user_id":3}}""", "metadata.user_id")]
    [InlineData("""{"model":"c","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"stop_sequences":"END"}""", "stop_sequences")]
    [InlineData("""{"model":"c","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"stream":1}""", "stream")]
    [InlineData("""{"model":"","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""", "model")]
    [InlineData("""{"model":"c","max_tokens":10,"messages":[]}""", "messages")]
    public void Anthropic_fields_of_the_wrong_type_are_refused_naming_the_field(string body, string param)
    {
        Assert.Equal(param, Refuse(body, WireFormat.AnthropicMessages).Param);
    }
}
