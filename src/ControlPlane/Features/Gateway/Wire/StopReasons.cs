namespace ControlPlane.Features.Gateway.Wire;

/// <summary>Stop reasons of the three wires ↔ <see cref="StopKind"/>.</summary>
internal static class StopReasons
{
    public static StopKind? FromOpenAI(string? reason) => reason switch
    {
        null => null,
        "length" => StopKind.MaxTokens,
        "tool_calls" or "function_call" => StopKind.ToolUse,
        "content_filter" => StopKind.ContentFilter,
        _ => StopKind.EndTurn,
    };

    public static StopKind? FromAnthropic(string? reason) => reason switch
    {
        null => null,
        "max_tokens" or "model_context_window_exceeded" => StopKind.MaxTokens,
        "tool_use" => StopKind.ToolUse,
        "stop_sequence" => StopKind.StopSequence,
        "refusal" => StopKind.ContentFilter,
        _ => StopKind.EndTurn, // end_turn, pause_turn
    };

    public static StopKind? FromGemini(string? reason) => reason switch
    {
        null or "FINISH_REASON_UNSPECIFIED" => null,
        "MAX_TOKENS" => StopKind.MaxTokens,
        "SAFETY" or "RECITATION" or "BLOCKLIST" or "PROHIBITED_CONTENT" or "SPII" or "IMAGE_SAFETY" => StopKind.ContentFilter,
        _ => StopKind.EndTurn, // STOP (also for stop sequences and function calls), OTHER, LANGUAGE, MALFORMED_FUNCTION_CALL
    };

    /// <summary>
    /// The stop to report: Gemini (and some OpenAI-compatible servers) say STOP/stop after a function call, but
    /// agent loops on either front door continue only on tool_calls / tool_use.
    /// </summary>
    public static StopKind Settle(StopKind? stop, bool sawToolCalls) => stop switch
    {
        null or StopKind.EndTurn when sawToolCalls => StopKind.ToolUse,
        null => StopKind.EndTurn,
        _ => stop.Value,
    };

    public static string To(WireFormat frontDoor, StopKind stop) => frontDoor == WireFormat.AnthropicMessages
        ? stop switch
        {
            StopKind.MaxTokens => "max_tokens",
            StopKind.ToolUse => "tool_use",
            StopKind.StopSequence => "stop_sequence",
            StopKind.ContentFilter => "refusal",
            _ => "end_turn",
        }
        : stop switch
        {
            StopKind.MaxTokens => "length",
            StopKind.ToolUse => "tool_calls",
            StopKind.ContentFilter => "content_filter",
            _ => "stop",
        };
}
