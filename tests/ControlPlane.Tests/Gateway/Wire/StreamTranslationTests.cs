using System.Buffers;
using ControlPlane.Features.Gateway.Wire;
using ControlPlane.Features.Metering;

namespace ControlPlane.Tests.Gateway.Wire;

/// <summary>Streams: every provider's stream into both front doors, parsed back as the front door's SDK would.</summary>
public class StreamTranslationTests
{
    private const string Alias = "smart";
    private const string Text = "Let me check été.";
    private const string Arguments = """{"location":"Paris"}""";

    private static void AssertOpenAIToolAnswer(OpenAIStream s, string callId, string arguments = Arguments)
    {
        Assert.Equal(Text, s.Text.ToString());
        var (id, name, args) = Assert.Single(s.Calls).Value;
        Assert.Equal(callId, id);
        Assert.Equal("get_weather", name);
        Assert.Equal(arguments, args.ToString());
        Assert.Equal("Paris", WireKit.Json(args.ToString()).GetProperty("location").GetString());
        Assert.Equal("tool_calls", s.FinishReason);
        Assert.True(s.Done);
        Assert.Null(s.Error);
    }

    private static void AssertAnthropicToolAnswer(AnthropicStream s, string toolUseId, string arguments = Arguments)
    {
        Assert.Equal(Text, s.Text);
        Assert.Equal(["text", "tool_use"], s.Blocks.Select(b => b.Type));
        Assert.Equal(toolUseId, s.Blocks[1].Id);
        Assert.Equal("get_weather", s.Blocks[1].Name);
        Assert.Equal(arguments, s.Blocks[1].Json.ToString());
        Assert.Equal("tool_use", s.StopReason);
        Assert.True(s.Stopped);
        Assert.Null(s.Error);
        Assert.Equal("message_start", s.EventNames[0]);
        Assert.Equal(["message_delta", "message_stop"], s.EventNames.TakeLast(2));
    }

    [Fact]
    public async Task OpenAI_to_OpenAI_relays_every_chunk_with_only_the_model_rewritten()
    {
        var t = WireTranslation.CreateStream(WireFormat.OpenAIChat, WireFormat.OpenAIChat, Alias);
        var output = await WireKit.RelayAsync(t, WireSamples.OpenAIStream);

        Assert.Equal(WireSamples.OpenAIStream.Replace("\"gpt-4o-2024-08-06\"", "\"smart\"", StringComparison.Ordinal), output);
        var s = OpenAIStream.Parse(output, Alias);
        AssertOpenAIToolAnswer(s, "call_abc");
        Assert.Equal(42, s.Usage!.Value.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(new TokenUsage(42, 10, 17), t.Usage);
        Assert.Equal("tool_calls", t.StopReason);
        Assert.Equal(Text.Length + Arguments.Length, t.OutputCharacters);
        Assert.True(t.SawContent);
    }

    [Fact]
    public async Task Anthropic_to_Anthropic_relays_every_event_with_only_message_start_model_rewritten()
    {
        var t = WireTranslation.CreateStream(WireFormat.AnthropicMessages, WireFormat.AnthropicMessages, Alias);
        var output = await WireKit.RelayAsync(t, WireSamples.AnthropicStream);

        Assert.Equal(WireSamples.AnthropicStream.Replace("\"claude-sonnet-4-5-20250929\"", "\"smart\"", StringComparison.Ordinal), output);
        var s = AnthropicStream.Parse(output, Alias);
        AssertAnthropicToolAnswer(s, "toolu_01A");
        Assert.Contains("ping", s.EventNames); // passthrough keeps pings
        Assert.Equal(new TokenUsage(130, 100, 17, 5), t.Usage);
        Assert.Equal("tool_use", t.StopReason);
        Assert.Equal(Text.Length + Arguments.Length, t.OutputCharacters);
        Assert.True(t.SawContent);
    }

    [Fact]
    public async Task Anthropic_to_OpenAI_gives_chunks_with_text_one_tool_call_finish_usage_and_done()
    {
        var t = WireTranslation.CreateStream(WireFormat.AnthropicMessages, WireFormat.OpenAIChat, Alias);
        var s = OpenAIStream.Parse(await WireKit.RelayAsync(t, WireSamples.AnthropicStream), Alias);

        AssertOpenAIToolAnswer(s, "toolu_01A");
        var usage = s.Usage!.Value;
        Assert.Equal(130, usage.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(17, usage.GetProperty("completion_tokens").GetInt64());
        Assert.Equal(147, usage.GetProperty("total_tokens").GetInt64());
        Assert.Equal(100, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt64());
        Assert.Equal(new TokenUsage(130, 100, 17, 5), t.Usage);
        Assert.Equal("tool_calls", t.StopReason);
        Assert.Equal(Text.Length + Arguments.Length, t.OutputCharacters);
    }

    [Fact]
    public async Task OpenAI_to_Anthropic_gives_blocks_with_input_json_deltas_and_usage_in_message_delta()
    {
        var t = WireTranslation.CreateStream(WireFormat.OpenAIChat, WireFormat.AnthropicMessages, Alias);
        var s = AnthropicStream.Parse(await WireKit.RelayAsync(t, WireSamples.OpenAIStream), Alias);

        AssertAnthropicToolAnswer(s, "call_abc");
        Assert.Equal(0, s.Message!.Value.GetProperty("usage").GetProperty("input_tokens").GetInt64()); // not known yet
        var usage = s.Usage!.Value;
        Assert.Equal(32, usage.GetProperty("input_tokens").GetInt64());
        Assert.Equal(10, usage.GetProperty("cache_read_input_tokens").GetInt64());
        Assert.Equal(17, usage.GetProperty("output_tokens").GetInt64());
        Assert.Equal(new TokenUsage(42, 10, 17), t.Usage);
        Assert.Equal("tool_use", t.StopReason);
        Assert.Equal(Text.Length + Arguments.Length, t.OutputCharacters);
    }

    [Fact]
    public async Task Gemini_to_OpenAI_joins_the_chunks_leaves_out_thoughts_and_keeps_the_last_usage()
    {
        var t = WireTranslation.CreateStream(WireFormat.GeminiGenerateContent, WireFormat.OpenAIChat, Alias);
        var s = OpenAIStream.Parse(await WireKit.RelayAsync(t, WireSamples.GeminiStream), Alias);

        AssertOpenAIToolAnswer(s, "call_0", """{"location": "Paris"}""");
        Assert.Equal(42, s.Usage!.Value.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(17, s.Usage!.Value.GetProperty("completion_tokens").GetInt64()); // 12 candidates + 5 thoughts
        Assert.Equal(new TokenUsage(42, 10, 17), t.Usage);
        Assert.Equal("tool_calls", t.StopReason);
        Assert.Equal(Text.Length + """{"location": "Paris"}""".Length, t.OutputCharacters);
    }

    [Fact]
    public async Task Gemini_to_Anthropic_gives_a_text_block_then_a_tool_use_block()
    {
        var t = WireTranslation.CreateStream(WireFormat.GeminiGenerateContent, WireFormat.AnthropicMessages, Alias);
        var s = AnthropicStream.Parse(await WireKit.RelayAsync(t, WireSamples.GeminiStream), Alias);

        AssertAnthropicToolAnswer(s, "call_0", """{"location": "Paris"}""");
        Assert.Equal(32, s.Usage!.Value.GetProperty("input_tokens").GetInt64());
        Assert.Equal(10, s.Usage!.Value.GetProperty("cache_read_input_tokens").GetInt64());
        Assert.Equal(17, s.Usage!.Value.GetProperty("output_tokens").GetInt64());
        Assert.Equal(new TokenUsage(42, 10, 17), t.Usage);
        Assert.Equal("tool_use", t.StopReason);
    }

    [Fact]
    public async Task A_plain_text_Gemini_stream_ends_with_stop_for_OpenAI_and_end_turn_for_Anthropic()
    {
        const string Wire = """
            data: {"candidates": [{"content": {"parts": [{"text": "Hel"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 4,"totalTokenCount": 4}}

            data: {"candidates": [{"content": {"parts": [{"text": "lo"}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 4,"candidatesTokenCount": 2,"totalTokenCount": 6}}
            """;
        var openAI = WireTranslation.CreateStream(WireFormat.GeminiGenerateContent, WireFormat.OpenAIChat, Alias);
        var o = OpenAIStream.Parse(await WireKit.RelayAsync(openAI, Wire), Alias);
        Assert.Equal("Hello", o.Text.ToString());
        Assert.Empty(o.Calls);
        Assert.Equal("stop", o.FinishReason);
        Assert.Equal(new TokenUsage(4, 0, 2), openAI.Usage);

        var anthropic = WireTranslation.CreateStream(WireFormat.GeminiGenerateContent, WireFormat.AnthropicMessages, Alias);
        var a = AnthropicStream.Parse(await WireKit.RelayAsync(anthropic, Wire), Alias);
        Assert.Equal("Hello", a.Text);
        Assert.Equal("end_turn", a.StopReason);
        Assert.Equal("end_turn", anthropic.StopReason);
    }

    [Fact]
    public async Task Several_OpenAI_tool_calls_become_several_Anthropic_tool_use_blocks()
    {
        const string Wire = """
            data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"f","arguments":""}}]},"finish_reason":null}]}

            data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"x\":1}"}}]},"finish_reason":null}]}

            data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"g","arguments":"{\"y\":"}}]},"finish_reason":null}]}

            data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"2}"}}]},"finish_reason":null}]}

            data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}

            data: [DONE]
            """;
        var t = WireTranslation.CreateStream(WireFormat.OpenAIChat, WireFormat.AnthropicMessages, Alias);
        var s = AnthropicStream.Parse(await WireKit.RelayAsync(t, Wire), Alias);
        Assert.Equal(["tool_use", "tool_use"], s.Blocks.Select(b => b.Type));
        Assert.Equal(("call_a", "f", """{"x":1}"""), (s.Blocks[0].Id, s.Blocks[0].Name, s.Blocks[0].Json.ToString()));
        Assert.Equal(("call_b", "g", """{"y":2}"""), (s.Blocks[1].Id, s.Blocks[1].Name, s.Blocks[1].Json.ToString()));
        Assert.Equal("tool_use", s.StopReason);
        Assert.Null(t.Usage); // the provider sent none: metering estimates and flags it
        Assert.Equal(0, s.Usage!.Value.GetProperty("output_tokens").GetInt64());
    }

    [Fact]
    public async Task SawContent_turns_true_only_with_the_first_text_delta()
    {
        foreach (var provider in new[] { WireFormat.AnthropicMessages, WireFormat.OpenAIChat })
        {
            foreach (var frontDoor in new[] { WireFormat.AnthropicMessages, WireFormat.OpenAIChat })
            {
                var t = WireTranslation.CreateStream(provider, frontDoor, Alias);
                var output = new ArrayBufferWriter<byte>();
                using var reader = new SseReader(new MemoryStream(WireKit.Utf8(provider == WireFormat.OpenAIChat ? WireSamples.OpenAIStream : WireSamples.AnthropicStream)));
                var events = 0;
                while (await reader.TryReadEventAsync())
                {
                    t.OnEvent(reader.EventName, reader.Data.Span, output);
                    events++;
                    var isFirstText = provider == WireFormat.OpenAIChat ? events == 2 : events == 4; // "Let me "
                    if (isFirstText)
                    {
                        Assert.True(t.SawContent, $"{provider}→{frontDoor} after the first text");
                        break;
                    }
                    Assert.False(t.SawContent, $"{provider}→{frontDoor} before any text (event {events})");
                }
            }
        }
    }

    [Fact]
    public async Task Gemini_to_Anthropic_starts_the_message_before_the_first_text()
    {
        var t = WireTranslation.CreateStream(WireFormat.GeminiGenerateContent, WireFormat.AnthropicMessages, Alias);
        var output = await WireKit.RelayAsync(t, WireSamples.GeminiStream.Split("\n\n")[0] + "\n\n", complete: false);
        Assert.StartsWith("event: message_start\n", output, StringComparison.Ordinal);
        Assert.DoesNotContain("thinking", output, StringComparison.Ordinal);
        Assert.False(t.SawContent);
        Assert.Null(t.StopReason);
    }

    [Fact]
    public async Task An_event_that_is_not_json_is_skipped_and_the_stream_goes_on()
    {
        const string Wire = """
            data: {"candidates": [{"content": {"parts": [{"text": "Hi"}],"role": "model"},"index": 0}]}

            data: {not json

            data: {"candidates": [{"content": {"parts": [{"text": "!"}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 2,"candidatesTokenCount": 2,"totalTokenCount": 4}}
            """;
        var t = WireTranslation.CreateStream(WireFormat.GeminiGenerateContent, WireFormat.OpenAIChat, Alias);
        var s = OpenAIStream.Parse(await WireKit.RelayAsync(t, Wire), Alias);
        Assert.Equal("Hi!", s.Text.ToString());
        Assert.Equal("stop", s.FinishReason);
        Assert.Equal(new TokenUsage(2, 0, 2), t.Usage);
    }
}
