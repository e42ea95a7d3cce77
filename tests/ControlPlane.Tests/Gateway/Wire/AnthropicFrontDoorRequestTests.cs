using ControlPlane.Features.Gateway.Wire;

namespace ControlPlane.Tests.Gateway.Wire;

/// <summary>Anthropic Messages requests translated for OpenAI-compatible and Gemini providers.</summary>
public class AnthropicFrontDoorRequestTests
{
    private const string Conversation = """
        {"model":"claude-smart","max_tokens":700,"temperature":0.3,"top_p":0.8,"top_k":40,"stop_sequences":["###"],
         "metadata":{"user_id":"user-9"},
         "system":[{"type":"text","text":"You are terse.","cache_control":{"type":"ephemeral"}},{"type":"text","text":"Answer in French."}],
         "messages":[
           {"role":"user","content":[{"type":"text","text":"What is on this picture?"},
              {"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/4AAQ"}},
              {"type":"image","source":{"type":"url","url":"https://example.com/cat.webp"}}]},
           {"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"sig"},{"type":"text","text":"Let me zoom."},
              {"type":"tool_use","id":"toolu_1","name":"zoom","input":{"factor":2}}]},
           {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"a cat"}]},
              {"type":"tool_result","tool_use_id":"toolu_1","content":"failed twice","is_error":true},
              {"type":"text","text":"So?"}]}],
         "tools":[{"name":"zoom","description":"Zooms in","input_schema":{"type":"object","properties":{"factor":{"type":"number"}},"required":["factor"]}},
                  {"type":"web_search_20250305","name":"web_search","max_uses":3}],
         "tool_choice":{"type":"any","disable_parallel_tool_use":true}}
        """;

    [Fact]
    public void To_OpenAI_system_blocks_become_system_messages_and_tool_results_become_tool_messages()
    {
        var r = WireKit.Request(Conversation, WireFormat.AnthropicMessages, WireFormat.OpenAIChat, "gpt-4o", stream: false);

        Assert.Equal("gpt-4o", r.GetProperty("model").GetString());
        Assert.Equal(700, r.GetProperty("max_tokens").GetInt32());
        Assert.Equal(0.3, r.GetProperty("temperature").GetDouble());
        Assert.Equal(0.8, r.GetProperty("top_p").GetDouble());
        Assert.False(r.TryGetProperty("top_k", out _));
        Assert.Equal(["###"], r.GetProperty("stop").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal("user-9", r.GetProperty("user").GetString());
        Assert.False(r.GetProperty("stream").GetBoolean());
        Assert.False(r.TryGetProperty("stream_options", out _));

        var messages = r.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["system", "system", "user", "assistant", "tool", "tool", "user"], messages.Select(m => m.GetProperty("role").GetString()));
        Assert.Equal("You are terse.", messages[0].GetProperty("content").GetString());
        Assert.Equal("Answer in French.", messages[1].GetProperty("content").GetString());

        var parts = messages[2].GetProperty("content").EnumerateArray().ToList();
        Assert.Equal("What is on this picture?", parts[0].GetProperty("text").GetString());
        Assert.Equal("image_url", parts[1].GetProperty("type").GetString());
        Assert.Equal("data:image/jpeg;base64,/9j/4AAQ", parts[1].GetProperty("image_url").GetProperty("url").GetString());
        Assert.Equal("https://example.com/cat.webp", parts[2].GetProperty("image_url").GetProperty("url").GetString());

        // Thinking blocks have no OpenAI counterpart and are dropped.
        Assert.Equal("Let me zoom.", messages[3].GetProperty("content").GetString());
        var call = messages[3].GetProperty("tool_calls")[0];
        Assert.Equal("toolu_1", call.GetProperty("id").GetString());
        Assert.Equal("function", call.GetProperty("type").GetString());
        Assert.Equal("zoom", call.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("""{"factor":2}""", call.GetProperty("function").GetProperty("arguments").GetString());

        Assert.Equal("toolu_1", messages[4].GetProperty("tool_call_id").GetString());
        Assert.Equal("a cat", messages[4].GetProperty("content").GetString());
        Assert.Equal("failed twice", messages[5].GetProperty("content").GetString());
        Assert.Equal("So?", messages[6].GetProperty("content").GetString());
    }

    [Fact]
    public void To_OpenAI_tools_become_functions_and_server_tools_are_dropped()
    {
        var r = WireKit.Request(Conversation, WireFormat.AnthropicMessages, WireFormat.OpenAIChat);
        var tools = r.GetProperty("tools").EnumerateArray().ToList();
        Assert.Single(tools);
        Assert.Equal("function", tools[0].GetProperty("type").GetString());
        Assert.Equal("zoom", tools[0].GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("Zooms in", tools[0].GetProperty("function").GetProperty("description").GetString());
        Assert.Equal("number", tools[0].GetProperty("function").GetProperty("parameters").GetProperty("properties").GetProperty("factor").GetProperty("type").GetString());
        Assert.Equal("required", r.GetProperty("tool_choice").GetString());
        Assert.False(r.GetProperty("parallel_tool_calls").GetBoolean());
    }

    [Fact]
    public void To_OpenAI_a_specific_tool_choice_names_the_function()
    {
        var r = WireKit.Request("""
            {"model":"c","max_tokens":5,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"zoom","input_schema":{"type":"object"}}],"tool_choice":{"type":"tool","name":"zoom"}}
            """, WireFormat.AnthropicMessages, WireFormat.OpenAIChat);
        Assert.Equal("function", r.GetProperty("tool_choice").GetProperty("type").GetString());
        Assert.Equal("zoom", r.GetProperty("tool_choice").GetProperty("function").GetProperty("name").GetString());
        Assert.False(r.TryGetProperty("parallel_tool_calls", out _));
    }

    [Fact]
    public void To_OpenAI_streaming_asks_for_usage()
    {
        var r = WireKit.Request("""{"model":"c","max_tokens":5,"stream":true,"system":"Be brief","messages":[{"role":"user","content":"x"}]}""",
            WireFormat.AnthropicMessages, WireFormat.OpenAIChat, stream: true);
        Assert.True(r.GetProperty("stream").GetBoolean());
        Assert.True(r.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        Assert.Equal("system", r.GetProperty("messages")[0].GetProperty("role").GetString());
        Assert.Equal("Be brief", r.GetProperty("messages")[0].GetProperty("content").GetString());
        Assert.Equal("x", r.GetProperty("messages")[1].GetProperty("content").GetString());
        Assert.False(r.TryGetProperty("tool_choice", out _));
    }

    [Fact]
    public void To_Gemini_turns_images_tool_calls_and_results_keep_their_meaning()
    {
        var r = WireKit.Request(Conversation, WireFormat.AnthropicMessages, WireFormat.GeminiGenerateContent);

        Assert.Equal(["You are terse.", "Answer in French."],
            r.GetProperty("systemInstruction").GetProperty("parts").EnumerateArray().Select(p => p.GetProperty("text").GetString()));
        var config = r.GetProperty("generationConfig");
        Assert.Equal(700, config.GetProperty("maxOutputTokens").GetInt32());
        Assert.Equal(0.3, config.GetProperty("temperature").GetDouble());
        Assert.Equal(0.8, config.GetProperty("topP").GetDouble());
        Assert.Equal(40, config.GetProperty("topK").GetInt32());
        Assert.Equal(["###"], config.GetProperty("stopSequences").EnumerateArray().Select(s => s.GetString()));

        var contents = r.GetProperty("contents").EnumerateArray().ToList();
        Assert.Equal(["user", "model", "user"], contents.Select(c => c.GetProperty("role").GetString()));
        var user = contents[0].GetProperty("parts").EnumerateArray().ToList();
        Assert.Equal("image/jpeg", user[1].GetProperty("inlineData").GetProperty("mimeType").GetString());
        Assert.Equal("/9j/4AAQ", user[1].GetProperty("inlineData").GetProperty("data").GetString());
        Assert.Equal("image/webp", user[2].GetProperty("fileData").GetProperty("mimeType").GetString());
        Assert.Equal("https://example.com/cat.webp", user[2].GetProperty("fileData").GetProperty("fileUri").GetString());

        var model = contents[1].GetProperty("parts").EnumerateArray().ToList();
        Assert.Equal(2, model.Count); // the thinking block is dropped
        Assert.Equal("Let me zoom.", model[0].GetProperty("text").GetString());
        Assert.Equal("zoom", model[1].GetProperty("functionCall").GetProperty("name").GetString());
        Assert.Equal(2, model[1].GetProperty("functionCall").GetProperty("args").GetProperty("factor").GetInt32());

        var results = contents[2].GetProperty("parts").EnumerateArray().ToList();
        Assert.Equal("zoom", results[0].GetProperty("functionResponse").GetProperty("name").GetString());
        Assert.Equal("a cat", results[0].GetProperty("functionResponse").GetProperty("response").GetProperty("result").GetString());
        Assert.Equal("failed twice", results[1].GetProperty("functionResponse").GetProperty("response").GetProperty("error").GetString());
        Assert.Equal("So?", results[2].GetProperty("text").GetString());

        var declarations = r.GetProperty("tools")[0].GetProperty("functionDeclarations").EnumerateArray().ToList();
        Assert.Single(declarations);
        Assert.Equal("zoom", declarations[0].GetProperty("name").GetString());
        Assert.Equal("ANY", r.GetProperty("toolConfig").GetProperty("functionCallingConfig").GetProperty("mode").GetString());
    }

    [Fact]
    public void To_Gemini_a_plain_string_conversation_is_two_alternating_turns()
    {
        var r = WireKit.Request("""
            {"model":"c","max_tokens":9,"system":"S","messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"},{"role":"user","content":"Bye"}]}
            """, WireFormat.AnthropicMessages, WireFormat.GeminiGenerateContent);
        Assert.Equal(
            """[{"role":"user","parts":[{"text":"Hi"}]},{"role":"model","parts":[{"text":"Hello"}]},{"role":"user","parts":[{"text":"Bye"}]}]""",
            r.GetProperty("contents").GetRawText());
        Assert.Equal("""{"parts":[{"text":"S"}]}""", r.GetProperty("systemInstruction").GetRawText());
        Assert.Equal("""{"maxOutputTokens":9}""", r.GetProperty("generationConfig").GetRawText());
        Assert.False(r.TryGetProperty("tools", out _));
    }
}
