using Microsoft.AspNetCore.Http;

namespace ControlPlane.Tests.Gateway.FakeUpstream;

internal enum FakeOperation
{
    Chat,
    Embeddings,
    ListModels,
    GeminiGenerate,
    GeminiStream,
    GeminiEmbed,
    GeminiBatchEmbed,
}

/// <summary>Which provider and operation a path is. Model: Azure's deployment or Gemini's path model.</summary>
internal sealed record FakeRoute(FakeProvider Provider, FakeOperation Operation, string? Model = null)
{
    private const string AzurePrefix = "/openai/deployments/";
    private const string GeminiPrefix = "/v1beta/models/";

    public static FakeRoute? Match(HttpRequest request)
    {
        var path = request.Path.Value ?? "";
        var post = HttpMethods.IsPost(request.Method);
        switch (path)
        {
            case "/v1/chat/completions" when post: return new(FakeProvider.OpenAI, FakeOperation.Chat);
            case "/v1/embeddings" when post: return new(FakeProvider.OpenAI, FakeOperation.Embeddings);
            case "/v1/messages" when post: return new(FakeProvider.Anthropic, FakeOperation.Chat);
            // Both OpenAI and Anthropic list models here; Anthropic's clients say who they are in headers.
            case "/v1/models" when HttpMethods.IsGet(request.Method):
                var anthropic = request.Headers.ContainsKey("x-api-key") || request.Headers.ContainsKey("anthropic-version");
                return new(anthropic ? FakeProvider.Anthropic : FakeProvider.OpenAI, FakeOperation.ListModels);
            case "/v1beta/models" when HttpMethods.IsGet(request.Method): return new(FakeProvider.Gemini, FakeOperation.ListModels);
            case "/openai/models" when HttpMethods.IsGet(request.Method): return new(FakeProvider.AzureOpenAI, FakeOperation.ListModels);
        }
        if (post && path.StartsWith(AzurePrefix, StringComparison.Ordinal))
        {
            var rest = path[AzurePrefix.Length..].Split('/');
            if (rest is [var deployment, "chat", "completions"])
                return new(FakeProvider.AzureOpenAI, FakeOperation.Chat, deployment);
            if (rest is [var embedder, "embeddings"])
                return new(FakeProvider.AzureOpenAI, FakeOperation.Embeddings, embedder);
        }
        if (post && path.StartsWith(GeminiPrefix, StringComparison.Ordinal))
        {
            // models/{model}:{method}: the method follows the last colon.
            var rest = path[GeminiPrefix.Length..];
            var colon = rest.LastIndexOf(':');
            if (colon > 0)
            {
                FakeOperation? operation = rest[(colon + 1)..] switch
                {
                    "generateContent" => FakeOperation.GeminiGenerate,
                    "streamGenerateContent" => FakeOperation.GeminiStream,
                    "embedContent" => FakeOperation.GeminiEmbed,
                    "batchEmbedContents" => FakeOperation.GeminiBatchEmbed,
                    _ => null,
                };
                if (operation is { } op)
                    return new(FakeProvider.Gemini, op, rest[..colon]);
            }
        }
        return null;
    }
}
