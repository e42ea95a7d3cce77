namespace ControlPlane.Tests.Gateway.Wire;

/// <summary>Provider answers written as they appear on the wire (whole bodies and SSE streams).</summary>
internal static class WireSamples
{
    // OpenAI: text, then one tool call whose arguments come in three pieces, the finish chunk, the usage chunk, [DONE].
    public const string OpenAIStream = """
        data: {"id":"chatcmpl-9x","object":"chat.completion.chunk","created":1727000000,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_5f","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-9x","object":"chat.completion.chunk","created":1727000000,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_5f","choices":[{"index":0,"delta":{"content":"Let me "},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-9x","object":"chat.completion.chunk","created":1727000000,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_5f","choices":[{"index":0,"delta":{"content":"check \u00e9t\u00e9."},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-9x","object":"chat.completion.chunk","created":1727000000,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_5f","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":""}}]},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-9x","object":"chat.completion.chunk","created":1727000000,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_5f","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"loc"}}]},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-9x","object":"chat.completion.chunk","created":1727000000,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_5f","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ation\":\"Par"}}]},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-9x","object":"chat.completion.chunk","created":1727000000,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_5f","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"is\"}"}}]},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-9x","object":"chat.completion.chunk","created":1727000000,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_5f","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}],"usage":null}

        data: {"id":"chatcmpl-9x","object":"chat.completion.chunk","created":1727000000,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_5f","choices":[],"usage":{"prompt_tokens":42,"completion_tokens":17,"total_tokens":59,"prompt_tokens_details":{"cached_tokens":10,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0}}}

        data: [DONE]


        """;

    // Anthropic: text block, a ping, a tool_use block with arguments in pieces, message_delta with cumulative usage.
    public const string AnthropicStream = """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_01XF","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":5,"cache_read_input_tokens":100,"output_tokens":1}}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

        event: ping
        data: {"type": "ping"}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Let me "}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"check \u00e9t\u00e9."}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: content_block_start
        data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01A","name":"get_weather","input":{}}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"loc"}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"ation\":\"Par"}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"is\"}"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":1}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":17}}

        event: message_stop
        data: {"type":"message_stop"}


        """;

    // Gemini (alt=sse): new text per chunk, a thought part to leave out, a whole function call, usage on every chunk.
    public const string GeminiStream = """
        data: {"candidates": [{"content": {"parts": [{"text": "thinking about it","thought": true}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 42,"totalTokenCount": 42},"modelVersion": "gemini-2.5-flash","responseId": "r1"}

        data: {"candidates": [{"content": {"parts": [{"text": "Let me "}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 42,"candidatesTokenCount": 2,"totalTokenCount": 44},"modelVersion": "gemini-2.5-flash","responseId": "r1"}

        data: {"candidates": [{"content": {"parts": [{"text": "check \u00e9t\u00e9."}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 42,"candidatesTokenCount": 5,"totalTokenCount": 47},"modelVersion": "gemini-2.5-flash","responseId": "r1"}

        data: {"candidates": [{"content": {"parts": [{"functionCall": {"name": "get_weather","args": {"location": "Paris"}}}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 42,"cachedContentTokenCount": 10,"candidatesTokenCount": 12,"thoughtsTokenCount": 5,"totalTokenCount": 59},"modelVersion": "gemini-2.5-flash","responseId": "r1"}


        """;

    public const string OpenAIResponse = """
        {"id":"chatcmpl-B9","object":"chat.completion","created":1727000000,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"Let me check.","refusal":null,"tool_calls":[{"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris\"}"}}],"annotations":[]},"logprobs":null,"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":42,"completion_tokens":17,"total_tokens":59,"prompt_tokens_details":{"cached_tokens":10,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}},"service_tier":"default","system_fingerprint":"fp_5f"}
        """;

    public const string AnthropicResponse = """
        {"id":"msg_01XF","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"Let me check."},{"type":"tool_use","id":"toolu_01A","name":"get_weather","input":{"location":"Paris"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":5,"cache_read_input_tokens":100,"output_tokens":17}}
        """;

    public const string GeminiResponse = """
        {"candidates":[{"content":{"parts":[{"text":"thinking","thought":true},{"text":"Let me check."},{"functionCall":{"name":"get_weather","args":{"location":"Paris"}}}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":42,"cachedContentTokenCount":10,"candidatesTokenCount":12,"thoughtsTokenCount":5,"totalTokenCount":59},"modelVersion":"gemini-2.5-flash","responseId":"r1"}
        """;
}
