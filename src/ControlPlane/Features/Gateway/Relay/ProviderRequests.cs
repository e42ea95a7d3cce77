using System.Net.Http.Headers;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Features.Gateway.Wire;

namespace ControlPlane.Features.Gateway.Relay;

/// <summary>Where each provider kind takes a call, and how it wants to be authenticated.</summary>
public static class ProviderRequests
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public static WireFormat FormatOf(string kind) => kind switch
    {
        ProviderKinds.Anthropic => WireFormat.AnthropicMessages,
        ProviderKinds.Gemini => WireFormat.GeminiGenerateContent,
        _ => WireFormat.OpenAIChat,
    };

    public static HttpRequestMessage Chat(RouteTarget target, byte[] body, bool stream)
    {
        var p = target.Provider;
        var path = p.Kind switch
        {
            ProviderKinds.AzureOpenAI => $"openai/deployments/{Uri.EscapeDataString(target.UpstreamModel)}/chat/completions?api-version={Uri.EscapeDataString(p.ApiVersion ?? "")}",
            ProviderKinds.Anthropic => "v1/messages",
            ProviderKinds.Gemini => $"v1beta/models/{Uri.EscapeDataString(target.UpstreamModel)}:{(stream ? "streamGenerateContent?alt=sse" : "generateContent")}",
            _ => "chat/completions",
        };
        return Build(p, path, body, stream);
    }

    public static HttpRequestMessage Embeddings(RouteTarget target, byte[] body)
    {
        var p = target.Provider;
        var path = p.Kind == ProviderKinds.AzureOpenAI
            ? $"openai/deployments/{Uri.EscapeDataString(target.UpstreamModel)}/embeddings?api-version={Uri.EscapeDataString(p.ApiVersion ?? "")}"
            : "embeddings";
        return Build(p, path, body, stream: false);
    }

    /// <summary>The provider's list of models: what "test connection" asks for.</summary>
    public static HttpRequestMessage ListModels(ProviderEndpoint p)
    {
        var path = p.Kind switch
        {
            ProviderKinds.AzureOpenAI => $"openai/models?api-version={Uri.EscapeDataString(p.ApiVersion ?? "")}",
            ProviderKinds.Anthropic => "v1/models",
            ProviderKinds.Gemini => "v1beta/models",
            _ => "models",
        };
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(p.BaseUrl, path));
        Authenticate(request, p);
        return request;
    }

    private static HttpRequestMessage Build(ProviderEndpoint p, string path, byte[] body, bool stream)
    {
        var content = new SentContent(body);
        content.Headers.ContentType = Json;
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(p.BaseUrl, path)) { Content = content };
        if (stream) request.Headers.Accept.ParseAdd("text/event-stream");
        Authenticate(request, p);
        return request;
    }

    private static void Authenticate(HttpRequestMessage request, ProviderEndpoint p)
    {
        if (p.Kind == ProviderKinds.Anthropic) request.Headers.TryAddWithoutValidation("anthropic-version", "2023-06-01");
        if (string.IsNullOrEmpty(p.ApiKey)) return; // Ollama, vLLM and friends often need none
        switch (p.Kind)
        {
            case ProviderKinds.AzureOpenAI: request.Headers.TryAddWithoutValidation("api-key", p.ApiKey); break;
            case ProviderKinds.Anthropic: request.Headers.TryAddWithoutValidation("x-api-key", p.ApiKey); break;
            case ProviderKinds.Gemini: request.Headers.TryAddWithoutValidation("x-goog-api-key", p.ApiKey); break;
            default: request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", p.ApiKey); break;
        }
    }
}
