using System.Buffers;
using ControlPlane.Features.Metering;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>The JSON dialects the gateway speaks: two front doors (OpenAI, Anthropic) and three provider wires.</summary>
public enum WireFormat
{
    /// <summary>OpenAI Chat Completions (also Azure OpenAI, Groq, Together, Mistral, Ollama, vLLM, …).</summary>
    OpenAIChat,
    /// <summary>Anthropic Messages API.</summary>
    AnthropicMessages,
    /// <summary>Google Gemini generateContent / streamGenerateContent (SSE).</summary>
    GeminiGenerateContent,
}

/// <summary>
/// What the gateway needs to know about a request before it routes, holds and relays it.
/// <see cref="MaxOutputTokens"/> is max_tokens / max_completion_tokens / maxOutputTokens when the caller set it;
/// <see cref="EndUser"/> is OpenAI's <c>user</c> field or Anthropic's <c>metadata.user_id</c>;
/// <see cref="EstimatedInputTokens"/> is a rough count (about 4 characters a token), the input billed when a provider
/// reports no usage; holds use <see cref="Input"/> instead, which bounds the input from above.
/// </summary>
public sealed record RequestInfo(
    string Model,
    bool Stream,
    int? MaxOutputTokens,
    string? EndUser,
    long EstimatedInputTokens,
    bool UsesTools,
    bool UsesImages)
{
    /// <summary>What bounds the input tokens (see <c>InputBound</c>); empty when the request was not measured.</summary>
    public InputSize Input { get; init; }

    /// <summary>Answers asked for (OpenAI <c>n</c>): each is billed its own output, so the output hold is multiplied.</summary>
    public int Choices { get; init; } = 1;
}

/// <summary>A request the caller got wrong, said in words the caller can act on.</summary>
public sealed record WireError(int Status, string Type, string Message, string? Param = null, string? Code = null);

/// <summary>A provider's whole (non-streaming) answer, re-written for the front door.</summary>
public sealed record TranslatedResponse(byte[] Body, TokenUsage? Usage, string? StopReason, long OutputCharacters);

/// <summary>
/// Relays one streamed answer: fed the provider's SSE events in order, writes the front door's SSE bytes (the same
/// bytes when both speak one format) and keeps what metering needs. One instance per call; not thread-safe.
/// </summary>
public interface IStreamTranslator
{
    /// <summary>One SSE event from the provider: its <c>event:</c> name (or null) and its <c>data:</c> payload.</summary>
    void OnEvent(string? eventName, ReadOnlySpan<byte> data, IBufferWriter<byte> output);

    /// <summary>The provider's stream ended cleanly; write any closing events (e.g. OpenAI's <c>data: [DONE]</c>).</summary>
    void Complete(IBufferWriter<byte> output);

    /// <summary>Usage as the provider reported it so far (null if it reported none).</summary>
    TokenUsage? Usage { get; }

    /// <summary>Characters of generated text and tool-call arguments seen so far: the basis of an estimate.</summary>
    long OutputCharacters { get; }

    /// <summary>True once the first event carrying generated content went out (time to first token).</summary>
    bool SawContent { get; }

    /// <summary>The provider's stop reason, in the front door's vocabulary, once known.</summary>
    string? StopReason { get; }
}
