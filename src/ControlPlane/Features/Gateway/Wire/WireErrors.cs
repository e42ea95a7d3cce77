using System.Text.Json;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>Error bodies of the front doors and error bodies of the providers.</summary>
internal static class WireErrors
{
    public static byte[] Body(WireFormat frontDoor, WireError error) => frontDoor switch
    {
        WireFormat.OpenAIChat => JsonWire.Build(error, static (w, e) => WriteOpenAI(w, e.Type, e.Message, e.Param, e.Code)),
        WireFormat.AnthropicMessages => JsonWire.Build(error, static (w, e) => WriteAnthropic(w, AnthropicType(e.Type, e.Status), e.Message)),
        _ => throw new ArgumentOutOfRangeException(nameof(frontDoor), frontDoor, "Gemini is a provider wire, not a front door."),
    };

    public static void WriteOpenAI(Utf8JsonWriter w, string type, string message, string? param, string? code)
    {
        w.WriteStartObject();
        w.WriteStartObject("error");
        w.WriteString("message", message);
        w.WriteString("type", type);
        w.WriteString("param", param);
        w.WriteString("code", code);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static void WriteAnthropic(Utf8JsonWriter w, string type, string message)
    {
        w.WriteStartObject();
        w.WriteString("type", "error");
        w.WriteStartObject("error");
        w.WriteString("type", type);
        w.WriteString("message", message);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>Our (or another wire's) error type in Anthropic's vocabulary, the HTTP status deciding the rest.</summary>
    public static string AnthropicType(string type, int status) => type switch
    {
        "invalid_request_error" or "authentication_error" or "permission_error" or "not_found_error" or "rate_limit_error"
            or "api_error" or "overloaded_error" or "billing_error" or "request_too_large" => type,
        _ => status switch
        {
            400 or 422 => "invalid_request_error",
            401 => "authentication_error",
            402 => "billing_error",
            403 => "permission_error",
            404 => "not_found_error",
            413 => "request_too_large",
            429 => "rate_limit_error",
            503 or 529 => "overloaded_error",
            _ => "api_error",
        },
    };

    /// <summary>An error type for a status, for bodies that name none (the names both front doors use).</summary>
    public static string TypeOfStatus(int status) => status switch
    {
        400 or 422 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        503 or 529 => "overloaded_error",
        _ => "api_error",
    };

    /// <summary>Google's canonical status names → our error types.</summary>
    public static string TypeOfGeminiStatus(string? status, int httpStatus) => status switch
    {
        "INVALID_ARGUMENT" or "FAILED_PRECONDITION" or "OUT_OF_RANGE" => "invalid_request_error",
        "UNAUTHENTICATED" => "authentication_error",
        "PERMISSION_DENIED" => "permission_error",
        "NOT_FOUND" => "not_found_error",
        "RESOURCE_EXHAUSTED" => "rate_limit_error",
        "UNAVAILABLE" => "overloaded_error",
        "INTERNAL" or "UNKNOWN" or "DEADLINE_EXCEEDED" => "api_error",
        _ => TypeOfStatus(httpStatus),
    };

    public static WireError? ReadProvider(ReadOnlySpan<byte> body, WireFormat provider, int status)
    {
        try
        {
            using var doc = PooledDocument.Parse(body);
            var root = doc.Root;
            var error = root.Prop("error");
            // Some OpenAI-compatible servers (Ollama, others) send {"error":"text"}.
            if (error is { ValueKind: JsonValueKind.String } text)
            {
                return new WireError(status, TypeOfStatus(status), text.GetString()!);
            }
            if (error is not { ValueKind: JsonValueKind.Object } e || e.Str("message") is not { } message)
            {
                return null;
            }
            return provider switch
            {
                WireFormat.GeminiGenerateContent => new WireError(status, TypeOfGeminiStatus(e.Str("status"), status), message, Code: e.Str("status")),
                WireFormat.AnthropicMessages => new WireError(status, e.Str("type") ?? TypeOfStatus(status), message),
                _ => new WireError(status, e.Str("type") ?? TypeOfStatus(status), message, e.Str("param"), CodeOf(e.Prop("code"))),
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>OpenAI codes are strings; some compatible servers send numbers.</summary>
    private static string? CodeOf(JsonElement? code) => code switch
    {
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        { ValueKind: JsonValueKind.Number } n => n.GetRawText(),
        _ => null,
    };
}
