using System.Text.Json;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>
/// The gateway's one entry to the wire formats: checks front-door requests, and translates requests, whole
/// responses, streams and errors between the two front doors (OpenAI Chat, Anthropic Messages) and the three
/// provider wires. Same-format calls are rewritten on the bytes (only <c>model</c>, and for OpenAI streams
/// <c>stream_options.include_usage</c>); cross-format calls go through the canonical model in ChatModel.cs.
/// </summary>
public static class WireTranslation
{
    /// <summary>Checks a front-door request and reads what routing and holds need; false with a 400 error when bad.</summary>
    public static bool TryInspect(ReadOnlySpan<byte> body, WireFormat frontDoor, out RequestInfo? info, out WireError? error) =>
        RequestInspector.TryInspect(body, frontDoor, out info, out error);

    /// <summary>
    /// The provider's request body for a front-door request that passed <see cref="TryInspect"/>.
    /// For Gemini, <paramref name="upstreamModel"/> and <paramref name="stream"/> are not in the body: the caller
    /// puts them in the URL (<c>models/{model}:generateContent</c> or <c>:streamGenerateContent?alt=sse</c>).
    /// <paramref name="outputCap"/> is the output allowance held for the call: when the caller set no cap it is sent
    /// as the provider's own (OpenAI <c>max_tokens</c>, or <c>max_completion_tokens</c> for reasoning models;
    /// Anthropic <c>max_tokens</c>; Gemini <c>generationConfig.maxOutputTokens</c>), so no answer outgrows its hold.
    /// </summary>
    /// <exception cref="JsonException">The body is not JSON (call <see cref="TryInspect"/> first).</exception>
    public static byte[] TranslateRequest(ReadOnlySpan<byte> body, WireFormat frontDoor, WireFormat provider, string upstreamModel, bool stream, long? outputCap = null)
    {
        RequireFrontDoor(frontDoor);
        if (frontDoor == provider)
        {
            (string, long)? cap = outputCap is { } held
                ? (provider == WireFormat.OpenAIChat && OpenAIEncodings.WantsMaxCompletionTokens(upstreamModel) ? "max_completion_tokens" : "max_tokens", held)
                : null;
            return JsonSplice.Rewrite(body, JsonWire.QuotedString(upstreamModel), stream, includeUsage: stream && provider == WireFormat.OpenAIChat, outputCap: cap);
        }
        using var doc = PooledDocument.Parse(body);
        var request = frontDoor == WireFormat.AnthropicMessages ? AnthropicRequestReader.Read(doc.Root) : OpenAIRequestReader.Read(doc.Root);
        if (outputCap is { } allowance)
        {
            request.MaxTokens ??= (int)Math.Min(allowance, int.MaxValue);
        }
        return provider switch
        {
            WireFormat.OpenAIChat => OpenAIRequestWriter.Write(request, upstreamModel, stream),
            WireFormat.AnthropicMessages => AnthropicRequestWriter.Write(request, upstreamModel, stream),
            _ => GeminiRequestWriter.Write(request),
        };
    }

    /// <summary>
    /// A provider's whole answer in the front door's shape, with <paramref name="modelAsked"/> (the name the caller
    /// used) as its model, plus what metering needs.
    /// </summary>
    /// <exception cref="JsonException">The provider's body is not JSON.</exception>
    public static TranslatedResponse TranslateResponse(ReadOnlySpan<byte> providerBody, WireFormat provider, WireFormat frontDoor, string modelAsked)
    {
        RequireFrontDoor(frontDoor);
        using var doc = PooledDocument.Parse(providerBody);
        var response = provider switch
        {
            WireFormat.OpenAIChat => OpenAIResponse.Read(doc.Root),
            WireFormat.AnthropicMessages => AnthropicResponse.Read(doc.Root),
            _ => GeminiResponse.Read(doc.Root),
        };
        if (provider == frontDoor)
        {
            // Passthrough: the bytes as they came but for the model, and the provider's own stop reason.
            var reason = provider == WireFormat.AnthropicMessages
                ? doc.Root.Str("stop_reason")
                : doc.Root.Array("choices") is { } choices && choices.GetArrayLength() > 0 ? choices[0].Str("finish_reason") : null;
            return new TranslatedResponse(JsonSplice.Rewrite(providerBody, JsonWire.QuotedString(modelAsked)), response.Usage, reason, response.OutputCharacters);
        }
        var stop = StopReasons.Settle(response.Stop, response.HasToolCalls);
        var body = frontDoor == WireFormat.AnthropicMessages
            ? AnthropicResponse.Write(response, stop, modelAsked)
            : OpenAIResponse.Write(response, stop, modelAsked);
        return new TranslatedResponse(body, response.Usage, StopReasons.To(frontDoor, stop), response.OutputCharacters);
    }

    /// <summary>A translator for one streamed answer (see <see cref="IStreamTranslator"/>).</summary>
    public static IStreamTranslator CreateStream(WireFormat provider, WireFormat frontDoor, string modelAsked)
    {
        RequireFrontDoor(frontDoor);
        if (provider == frontDoor)
        {
            return provider == WireFormat.OpenAIChat ? new OpenAIPassthroughStream(modelAsked) : new AnthropicPassthroughStream(modelAsked);
        }
        StreamEncoder encoder = frontDoor == WireFormat.OpenAIChat ? new OpenAIStreamEncoder(modelAsked) : new AnthropicStreamEncoder(modelAsked);
        return provider switch
        {
            WireFormat.OpenAIChat => new OpenAIProviderStream(encoder, frontDoor),
            WireFormat.AnthropicMessages => new AnthropicProviderStream(encoder, frontDoor),
            _ => new GeminiProviderStream(encoder, frontDoor),
        };
    }

    /// <summary>An error in the front door's shape: OpenAI <c>{"error":{…}}</c> or Anthropic <c>{"type":"error",…}</c>.</summary>
    public static byte[] ErrorBody(WireFormat frontDoor, WireError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return WireErrors.Body(frontDoor, error);
    }

    /// <summary>A provider's error body read into a <see cref="WireError"/> with its message; null when unreadable.</summary>
    public static WireError? ReadProviderError(ReadOnlySpan<byte> body, WireFormat provider, int status) =>
        WireErrors.ReadProvider(body, provider, status);

    private static void RequireFrontDoor(WireFormat frontDoor)
    {
        if (frontDoor == WireFormat.GeminiGenerateContent)
        {
            throw new ArgumentOutOfRangeException(nameof(frontDoor), frontDoor, "Gemini is a provider wire, not a front door.");
        }
    }
}
