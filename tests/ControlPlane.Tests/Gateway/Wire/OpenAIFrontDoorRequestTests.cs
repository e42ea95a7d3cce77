using System.Text.Json;
using ControlPlane.Features.Gateway.Wire;

namespace ControlPlane.Tests.Gateway.Wire;

/// <summary>OpenAI Chat requests translated for Anthropic and Gemini providers.</summary>
public class OpenAIFrontDoorRequestTests
{
    // A conversation with everything: system + developer prompts, an image by URL and by data URL, a tool call with
    // its result, a follow-up question, tools, tool_choice, stop, sampling, response_format and an end user.
    private const string Conversation = """
        {"model":"smart","temperature":1.5,"top_p":0.9,"max_completion_tokens":500,"stop":["END","STOP"],"user":"u-1",
         "seed":1,"n":1,"parallel_tool_calls":false,
         "messages":[
           {"role":"system","content":"You are terse."},
           {"role":"developer","content":[{"type":"text","text":"Use metric units."}]},
           {"role":"user","content":[{"type":"text","text":"Weather here?"},
              {"type":"image_url","image_url":{"url":"https://example.com/street.jpg","detail":"high"}},
              {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]},
           {"role":"assistant","content":"Checking.","tool_calls":[
              {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
              {"id":"call_2","type":"function","function":{"name":"get_time","arguments":"{}"}}]},
           {"role":"tool","tool_call_id":"call_1","content":"{\"temp\":21}"},
           {"role":"tool","tool_call_id":"call_2","content":"12:00"},
           {"role":"user","content":"Thanks. And tomorrow?"}],
         "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather by city",
              "parameters":{"type":"object","properties":{"city":{"type":"string","format":"city-name"},"unit":{"type":["string","null"],"enum":["C","F"]}},"required":["city"],"additionalProperties":false}}},
            {"type":"function","function":{"name":"get_time"}}],
         "tool_choice":{"type":"function","function":{"name":"get_weather"}}}
        """;

    [Fact]
    public void To_Anthropic_system_prompts_move_to_system_and_turns_keep_their_order()
    {
        var r = WireKit.Request(Conversation, WireFormat.OpenAIChat, WireFormat.AnthropicMessages, "claude-sonnet-4-5", stream: true);

        Assert.Equal("claude-sonnet-4-5", r.GetProperty("model").GetString());
        Assert.True(r.GetProperty("stream").GetBoolean());
        Assert.Equal(500, r.GetProperty("max_tokens").GetInt32());
        var system = r.GetProperty("system");
        Assert.Equal(["You are terse.", "Use metric units."], system.EnumerateArray().Select(b => b.GetProperty("text").GetString()));
        Assert.Equal(["END", "STOP"], r.GetProperty("stop_sequences").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(1.0, r.GetProperty("temperature").GetDouble()); // clamped to Anthropic's range
        Assert.Equal(0.9, r.GetProperty("top_p").GetDouble());
        Assert.Equal("u-1", r.GetProperty("metadata").GetProperty("user_id").GetString());
        Assert.False(r.TryGetProperty("seed", out _));
        Assert.False(r.TryGetProperty("response_format", out _));

        var messages = r.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["user", "assistant", "user"], messages.Select(m => m.GetProperty("role").GetString()));

        var first = messages[0].GetProperty("content").EnumerateArray().ToList();
        Assert.Equal("Weather here?", first[0].GetProperty("text").GetString());
        Assert.Equal("url", first[1].GetProperty("source").GetProperty("type").GetString());
        Assert.Equal("https://example.com/street.jpg", first[1].GetProperty("source").GetProperty("url").GetString());
        Assert.Equal("base64", first[2].GetProperty("source").GetProperty("type").GetString());
        Assert.Equal("image/png", first[2].GetProperty("source").GetProperty("media_type").GetString());
        Assert.Equal("iVBORw0KGgo=", first[2].GetProperty("source").GetProperty("data").GetString());

        var assistant = messages[1].GetProperty("content").EnumerateArray().ToList();
        Assert.Equal("Checking.", assistant[0].GetProperty("text").GetString());
        Assert.Equal("tool_use", assistant[1].GetProperty("type").GetString());
        Assert.Equal("call_1", assistant[1].GetProperty("id").GetString());
        Assert.Equal("get_weather", assistant[1].GetProperty("name").GetString());
        Assert.Equal("Paris", assistant[1].GetProperty("input").GetProperty("city").GetString());
        Assert.Equal(JsonValueKind.Object, assistant[2].GetProperty("input").ValueKind);

        // Both tool results and the follow-up question in one user turn, results first.
        var last = messages[2].GetProperty("content").EnumerateArray().ToList();
        Assert.Equal(["tool_result", "tool_result", "text"], last.Select(b => b.GetProperty("type").GetString()));
        Assert.Equal("call_1", last[0].GetProperty("tool_use_id").GetString());
        Assert.Equal("{\"temp\":21}", last[0].GetProperty("content").GetString());
        Assert.Equal("call_2", last[1].GetProperty("tool_use_id").GetString());
        Assert.Equal("Thanks. And tomorrow?", last[2].GetProperty("text").GetString());
    }

    [Fact]
    public void To_Anthropic_tools_get_input_schema_and_tool_choice_becomes_tool()
    {
        var r = WireKit.Request(Conversation, WireFormat.OpenAIChat, WireFormat.AnthropicMessages);
        var tools = r.GetProperty("tools").EnumerateArray().ToList();
        Assert.Equal("get_weather", tools[0].GetProperty("name").GetString());
        Assert.Equal("Weather by city", tools[0].GetProperty("description").GetString());
        Assert.Equal("string", tools[0].GetProperty("input_schema").GetProperty("properties").GetProperty("city").GetProperty("type").GetString());
        Assert.False(tools[0].GetProperty("input_schema").GetProperty("additionalProperties").GetBoolean()); // JSON Schema kept whole
        Assert.Equal("object", tools[1].GetProperty("input_schema").GetProperty("type").GetString()); // parameterless → empty schema

        var choice = r.GetProperty("tool_choice");
        Assert.Equal("tool", choice.GetProperty("type").GetString());
        Assert.Equal("get_weather", choice.GetProperty("name").GetString());
        Assert.True(choice.GetProperty("disable_parallel_tool_use").GetBoolean());
    }

    [Theory]
    [InlineData("\"auto\"", "auto")]
    [InlineData("\"required\"", "any")]
    [InlineData("\"none\"", "none")]
    public void To_Anthropic_tool_choice_words_map(string openAI, string anthropic)
    {
        var r = WireKit.Request($$$"""{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{{{openAI}}}}""",
            WireFormat.OpenAIChat, WireFormat.AnthropicMessages);
        Assert.Equal(anthropic, r.GetProperty("tool_choice").GetProperty("type").GetString());
    }

    [Fact]
    public void To_Anthropic_max_tokens_defaults_to_4096_and_a_single_stop_string_becomes_a_list()
    {
        var r = WireKit.Request("""{"model":"m","stop":"END","messages":[{"role":"user","content":"x"}]}""", WireFormat.OpenAIChat, WireFormat.AnthropicMessages);
        Assert.Equal(4096, r.GetProperty("max_tokens").GetInt32());
        Assert.Equal(["END"], r.GetProperty("stop_sequences").EnumerateArray().Select(s => s.GetString()));
        Assert.False(r.GetProperty("stream").GetBoolean());
        Assert.False(r.TryGetProperty("system", out _));
        Assert.False(r.TryGetProperty("tools", out _));
    }

    [Fact]
    public void To_Anthropic_max_tokens_falls_back_to_the_legacy_field()
    {
        var r = WireKit.Request("""{"model":"m","max_tokens":77,"messages":[{"role":"user","content":"x"}]}""", WireFormat.OpenAIChat, WireFormat.AnthropicMessages);
        Assert.Equal(77, r.GetProperty("max_tokens").GetInt32());
    }

    [Fact]
    public void To_Gemini_the_body_has_contents_system_instruction_and_generation_config()
    {
        var r = WireKit.Request(Conversation, WireFormat.OpenAIChat, WireFormat.GeminiGenerateContent, "ignored", stream: true);

        Assert.False(r.TryGetProperty("model", out _)); // the model is in the URL
        Assert.False(r.TryGetProperty("stream", out _));
        Assert.Equal(["You are terse.", "Use metric units."],
            r.GetProperty("systemInstruction").GetProperty("parts").EnumerateArray().Select(p => p.GetProperty("text").GetString()));

        var config = r.GetProperty("generationConfig");
        Assert.Equal(500, config.GetProperty("maxOutputTokens").GetInt32());
        Assert.Equal(1.5, config.GetProperty("temperature").GetDouble());
        Assert.Equal(0.9, config.GetProperty("topP").GetDouble());
        Assert.Equal(["END", "STOP"], config.GetProperty("stopSequences").EnumerateArray().Select(s => s.GetString()));

        var contents = r.GetProperty("contents").EnumerateArray().ToList();
        Assert.Equal(["user", "model", "user"], contents.Select(c => c.GetProperty("role").GetString()));

        var user = contents[0].GetProperty("parts").EnumerateArray().ToList();
        Assert.Equal("Weather here?", user[0].GetProperty("text").GetString());
        Assert.Equal("https://example.com/street.jpg", user[1].GetProperty("fileData").GetProperty("fileUri").GetString());
        Assert.Equal("image/jpeg", user[1].GetProperty("fileData").GetProperty("mimeType").GetString());
        Assert.Equal("image/png", user[2].GetProperty("inlineData").GetProperty("mimeType").GetString());
        Assert.Equal("iVBORw0KGgo=", user[2].GetProperty("inlineData").GetProperty("data").GetString());

        var model = contents[1].GetProperty("parts").EnumerateArray().ToList();
        Assert.Equal("Checking.", model[0].GetProperty("text").GetString());
        Assert.Equal("get_weather", model[1].GetProperty("functionCall").GetProperty("name").GetString());
        Assert.Equal("Paris", model[1].GetProperty("functionCall").GetProperty("args").GetProperty("city").GetString());
        Assert.Equal("get_time", model[2].GetProperty("functionCall").GetProperty("name").GetString());

        // Results are matched to their calls by name; a JSON-object result goes as is, text is wrapped.
        var results = contents[2].GetProperty("parts").EnumerateArray().ToList();
        Assert.Equal("get_weather", results[0].GetProperty("functionResponse").GetProperty("name").GetString());
        Assert.Equal(21, results[0].GetProperty("functionResponse").GetProperty("response").GetProperty("temp").GetInt32());
        Assert.Equal("get_time", results[1].GetProperty("functionResponse").GetProperty("name").GetString());
        Assert.Equal("12:00", results[1].GetProperty("functionResponse").GetProperty("response").GetProperty("result").GetString());
        Assert.Equal("Thanks. And tomorrow?", results[2].GetProperty("text").GetString());
    }

    [Fact]
    public void To_Gemini_tools_become_function_declarations_with_a_gemini_schema()
    {
        var r = WireKit.Request(Conversation, WireFormat.OpenAIChat, WireFormat.GeminiGenerateContent);
        var declarations = r.GetProperty("tools")[0].GetProperty("functionDeclarations").EnumerateArray().ToList();
        Assert.Equal("get_weather", declarations[0].GetProperty("name").GetString());
        Assert.Equal("Weather by city", declarations[0].GetProperty("description").GetString());
        var parameters = declarations[0].GetProperty("parameters");
        Assert.False(parameters.TryGetProperty("additionalProperties", out _));
        Assert.Equal(["city"], parameters.GetProperty("required").EnumerateArray().Select(s => s.GetString()));
        var city = parameters.GetProperty("properties").GetProperty("city");
        Assert.Equal("string", city.GetProperty("type").GetString());
        Assert.False(city.TryGetProperty("format", out _)); // Gemini refuses free-form formats
        var unit = parameters.GetProperty("properties").GetProperty("unit");
        Assert.Equal("string", unit.GetProperty("type").GetString());
        Assert.True(unit.GetProperty("nullable").GetBoolean());
        Assert.Equal(["C", "F"], unit.GetProperty("enum").EnumerateArray().Select(s => s.GetString()));
        Assert.False(declarations[1].TryGetProperty("parameters", out _));

        var config = r.GetProperty("toolConfig").GetProperty("functionCallingConfig");
        Assert.Equal("ANY", config.GetProperty("mode").GetString());
        Assert.Equal(["get_weather"], config.GetProperty("allowedFunctionNames").EnumerateArray().Select(s => s.GetString()));
    }

    [Theory]
    [InlineData("\"auto\"", "AUTO")]
    [InlineData("\"required\"", "ANY")]
    [InlineData("\"none\"", "NONE")]
    public void To_Gemini_tool_choice_words_map_to_modes(string openAI, string mode)
    {
        var r = WireKit.Request($$$"""{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{{{openAI}}}}""",
            WireFormat.OpenAIChat, WireFormat.GeminiGenerateContent);
        var config = r.GetProperty("toolConfig").GetProperty("functionCallingConfig");
        Assert.Equal(mode, config.GetProperty("mode").GetString());
        Assert.False(config.TryGetProperty("allowedFunctionNames", out _));
    }

    [Fact]
    public void To_Gemini_json_object_asks_for_json()
    {
        var r = WireKit.Request("""{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}}""",
            WireFormat.OpenAIChat, WireFormat.GeminiGenerateContent);
        var config = r.GetProperty("generationConfig");
        Assert.Equal("application/json", config.GetProperty("responseMimeType").GetString());
        Assert.False(config.TryGetProperty("responseSchema", out _));
    }

    [Fact]
    public void To_Gemini_json_schema_becomes_response_schema()
    {
        var r = WireKit.Request("""
            {"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"answer","strict":true,
              "schema":{"type":"object","properties":{"items":{"type":"array","items":{"type":"integer","minimum":1}},"kind":{"const":"list"}},"required":["items"],"additionalProperties":false,"$schema":"x"}}}}
            """, WireFormat.OpenAIChat, WireFormat.GeminiGenerateContent);
        var config = r.GetProperty("generationConfig");
        Assert.Equal("application/json", config.GetProperty("responseMimeType").GetString());
        var schema = config.GetProperty("responseSchema");
        Assert.Equal(
            """{"type":"object","properties":{"items":{"type":"array","items":{"type":"integer","minimum":1}},"kind":{"enum":["list"]}},"required":["items"]}""",
            schema.GetRawText());
    }

    [Fact]
    public void To_Anthropic_response_format_is_dropped_and_the_system_prompt_is_untouched()
    {
        var r = WireKit.Request("""{"model":"m","messages":[{"role":"system","content":"Sys"},{"role":"user","content":"x"}],"response_format":{"type":"json_object"}}""",
            WireFormat.OpenAIChat, WireFormat.AnthropicMessages);
        Assert.Equal("Sys", r.GetProperty("system").GetString());
        Assert.False(r.TryGetProperty("response_format", out _));
    }

    [Fact]
    public void Tool_arguments_that_are_not_an_object_become_an_empty_object()
    {
        var r = WireKit.Request("""
            {"model":"m","messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"broken"}}]}]}
            """, WireFormat.OpenAIChat, WireFormat.AnthropicMessages);
        Assert.Equal("{}", r.GetProperty("messages")[1].GetProperty("content")[0].GetProperty("input").GetRawText());
    }
}
