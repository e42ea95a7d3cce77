using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace ControlPlane.Tests.Gateway.FakeUpstream;

/// <summary>One scripted call: what was asked and what the script says to answer.</summary>
internal sealed record FakeCall(HttpContext Context, FakeUpstream Fake, FakeProvider Provider, FakeReply Reply, JsonNode Body, string Model)
{
    /// <summary>The usage billed: scripted, with the reply's input billing, cap rule and n applied.</summary>
    public FakeUsage Usage => FakeBilling.Of(Reply, Provider, Body);

    /// <summary>Answers asked for and honoured (OpenAI n).</summary>
    public int Choices => FakeBilling.Choices(Reply, Provider, Body);

    public string ResponseModel => Reply.Model ?? Model;

    /// <summary>The scripted text, or an echo of what the user said (none when the reply is only tool calls).</summary>
    public string Text(string? lastUserText) =>
        Reply.Text ?? (Reply.ToolCalls.Count > 0 ? "" : $"Echo: {lastUserText ?? "(nothing)"}");

    public string Id() => Fake.NextId();
}

/// <summary>The checks a provider makes before it does any work (version, key, JSON, required fields), then the answer.</summary>
internal static class FakeRouter
{
    public static async Task AnswerAsync(FakeUpstream fake, HttpContext context, FakeRoute? route, string body)
    {
        var request = context.Request;
        if (route is null)
        {
            await FakeErrors.WriteAsync(context, FakeProvider.OpenAI, 404, $"Invalid URL ({request.Method} {request.Path})");
            return;
        }
        var provider = route.Provider;
        // Azure routes on api-version: without it the deployment "does not exist".
        if (provider == FakeProvider.AzureOpenAI && string.IsNullOrEmpty(request.Query["api-version"]))
        {
            await FakeTransport.JsonAsync(context, FakeErrors.Azure("404", "Resource not found"), 404);
            return;
        }
        var presented = PresentedKey(request, provider);
        if (presented != FakeUpstream.ApiKey)
        {
            await FakeErrors.UnauthorizedAsync(context, provider, presented);
            return;
        }
        if (provider == FakeProvider.Anthropic && string.IsNullOrEmpty(request.Headers["anthropic-version"]))
        {
            await FakeErrors.WriteAsync(context, provider, 400, "anthropic-version: header is required");
            return;
        }
        if (route.Operation == FakeOperation.ListModels)
        {
            if (fake.Persistent(provider) is { ErrorStatus: { } down } always)
                await FakeErrors.WriteAsync(context, provider, down, always.ErrorMessage, always.RetryAfter);
            else
                await FakeTransport.JsonAsync(context, FakeModels.List(provider, fake.Models));
            return;
        }
        if (Parse(body) is not JsonObject json)
        {
            await FakeErrors.WriteAsync(context, provider, 400, "We could not parse the JSON body of your request.");
            return;
        }
        var model = route.Model ?? json["model"]?.GetValue<string>();
        if (Missing(provider, route.Operation, json, model) is { } missing)
        {
            await FakeErrors.WriteAsync(context, provider, 400, missing);
            return;
        }

        var reply = fake.NextReply(provider);
        if (reply.FirstByteDelay > TimeSpan.Zero)
            await Task.Delay(reply.FirstByteDelay, context.RequestAborted);
        if (reply.HoldUntil is { } held)
            await held.WaitAsync(context.RequestAborted);
        if (reply.DropAfterRequest)
        {
            context.Abort();
            return;
        }
        if (reply.ErrorStatus is { } status)
        {
            await FakeErrors.WriteAsync(context, provider, status, reply.ErrorMessage, reply.RetryAfter);
            return;
        }
        var call = new FakeCall(context, fake, provider, reply, json, model!);
        await (route.Operation switch
        {
            FakeOperation.Embeddings => FakeEmbeddings.OpenAIAsync(call),
            FakeOperation.GeminiEmbed or FakeOperation.GeminiBatchEmbed => FakeEmbeddings.GeminiAsync(call, route.Operation == FakeOperation.GeminiBatchEmbed),
            FakeOperation.GeminiGenerate or FakeOperation.GeminiStream => GeminiWire.AnswerAsync(call, route.Operation == FakeOperation.GeminiStream),
            _ when provider == FakeProvider.Anthropic => AnthropicWire.AnswerAsync(call),
            _ => OpenAIWire.AnswerAsync(call),
        });
    }

    private static string? PresentedKey(HttpRequest request, FakeProvider provider)
    {
        string? header = provider switch
        {
            FakeProvider.OpenAI => request.Headers.Authorization.ToString() is var auth && auth.StartsWith("Bearer ", StringComparison.Ordinal) ? auth["Bearer ".Length..] : null,
            FakeProvider.AzureOpenAI => request.Headers["api-key"],
            FakeProvider.Anthropic => request.Headers["x-api-key"],
            _ => request.Headers["x-goog-api-key"].ToString() is { Length: > 0 } goog ? goog : request.Query["key"],
        };
        return string.IsNullOrEmpty(header) ? null : header;
    }

    private static JsonNode? Parse(string body)
    {
        try
        {
            return JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The fields each provider refuses to go without, in words close to its own.</summary>
    private static string? Missing(FakeProvider provider, FakeOperation operation, JsonObject json, string? model)
    {
        if (string.IsNullOrEmpty(model))
            return "you must provide a model parameter";
        return (provider, operation) switch
        {
            (FakeProvider.Anthropic, _) when json["max_tokens"] is null => "max_tokens: Field required",
            (FakeProvider.Anthropic, _) when json["messages"] is not JsonArray => "messages: Field required",
            (FakeProvider.OpenAI or FakeProvider.AzureOpenAI, FakeOperation.Chat) when json["messages"] is not JsonArray => "Missing required parameter: 'messages'.",
            (_, FakeOperation.Embeddings) when json["input"] is null => "Missing required parameter: 'input'.",
            (_, FakeOperation.GeminiGenerate or FakeOperation.GeminiStream) when json["contents"] is not JsonArray => "* GenerateContentRequest.contents: contents is not specified",
            _ => null,
        };
    }
}
