using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace ControlPlane.Tests.Gateway.FakeUpstream;

/// <summary>Error bodies as each provider writes them, so the gateway's error mapping meets the real shapes.</summary>
internal static class FakeErrors
{
    public static Task WriteAsync(HttpContext context, FakeProvider provider, int status, string? message, TimeSpan? retryAfter = null)
    {
        message ??= DefaultMessage(status);
        var body = provider switch
        {
            FakeProvider.OpenAI => OpenAI(message, OpenAIType(status), OpenAICode(status)),
            FakeProvider.AzureOpenAI => Azure(status.ToString(), message),
            FakeProvider.Anthropic => Anthropic(AnthropicType(status), message),
            _ => Gemini(status, message, retryAfter),
        };
        if (retryAfter is { } wait)
        {
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString();
            if (provider == FakeProvider.AzureOpenAI)
                context.Response.Headers["retry-after-ms"] = ((long)wait.TotalMilliseconds).ToString();
        }
        return FakeTransport.JsonAsync(context, body, status);
    }

    /// <summary>
    /// A missing or wrong key. Gemini does not answer 401: a wrong key is 400 INVALID_ARGUMENT (reason
    /// API_KEY_INVALID) and no key at all is 403 PERMISSION_DENIED.
    /// </summary>
    public static Task UnauthorizedAsync(HttpContext context, FakeProvider provider, string? presented)
    {
        var (status, body) = provider switch
        {
            FakeProvider.OpenAI when presented is null => (401, OpenAI(
                "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from https://platform.openai.com/account/api-keys.",
                "invalid_request_error", null)),
            FakeProvider.OpenAI => (401, OpenAI(
                $"Incorrect API key provided: {Mask(presented)}. You can find your API key at https://platform.openai.com/account/api-keys.",
                "invalid_request_error", "invalid_api_key")),
            FakeProvider.AzureOpenAI => (401, Azure("401",
                "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.")),
            FakeProvider.Anthropic => (401, Anthropic("authentication_error", presented is null ? "x-api-key header is required" : "invalid x-api-key")),
            _ when presented is null => (403, Gemini(403,
                "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.", null)),
            _ => (400, Gemini(400, "API key not valid. Please pass a valid API key.", null, "API_KEY_INVALID")),
        };
        return FakeTransport.JsonAsync(context, body, status);
    }

    public static JsonObject OpenAI(string message, string type, string? code, string? param = null) => new()
    {
        ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["param"] = param, ["code"] = code },
    };

    public static JsonObject Azure(string code, string message) => new()
    {
        ["error"] = new JsonObject { ["code"] = code, ["message"] = message },
    };

    public static JsonObject Anthropic(string type, string message) => new()
    {
        ["type"] = "error",
        ["error"] = new JsonObject { ["type"] = type, ["message"] = message },
    };

    public static JsonObject Gemini(int status, string message, TimeSpan? retryAfter, string? reason = null)
    {
        var error = new JsonObject { ["code"] = status, ["message"] = message, ["status"] = GeminiStatus(status) };
        if (reason is not null)
            error["details"] = new JsonArray(new JsonObject
            {
                ["@type"] = "type.googleapis.com/google.rpc.ErrorInfo",
                ["reason"] = reason,
                ["domain"] = "googleapis.com",
                ["metadata"] = new JsonObject { ["service"] = "generativelanguage.googleapis.com" },
            });
        // Gemini says when to retry in the body, not only in a header.
        if (retryAfter is { } wait)
            error["details"] = new JsonArray(new JsonObject
            {
                ["@type"] = "type.googleapis.com/google.rpc.RetryInfo",
                ["retryDelay"] = $"{(int)Math.Ceiling(wait.TotalSeconds)}s",
            });
        return new JsonObject { ["error"] = error };
    }

    private static string DefaultMessage(int status) => status switch
    {
        400 => "Invalid request.",
        404 => "The model does not exist or you do not have access to it.",
        429 => "Rate limit reached. Please try again later.",
        500 => "The server had an error while processing your request.",
        503 or 529 => "The model is overloaded. Please try again later.",
        _ => $"Upstream error {status}.",
    };

    private static string OpenAIType(int status) => status switch
    {
        429 => "requests",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };

    private static string? OpenAICode(int status) => status switch
    {
        404 => "model_not_found",
        429 => "rate_limit_exceeded",
        _ => null,
    };

    private static string AnthropicType(int status) => status switch
    {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    };

    private static string GeminiStatus(int status) => status switch
    {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "INTERNAL",
    };

    private static string Mask(string? key) =>
        key is { Length: > 8 } ? $"{key[..3]}*****{key[^4..]}" : "*****";
}
