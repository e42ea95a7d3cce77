namespace ControlPlane.Features.Gateway.Providers;

/// <summary>The words the provider editor shows for each kind: what it is, and what its base URL looks like.</summary>
public static class ProviderHelp
{
    public static string Kind(string kind) => kind switch
    {
        ProviderKinds.OpenAI => "OpenAI, or any OpenAI-compatible server (Groq, Together, Mistral, Ollama, vLLM…): the URL up to /chat/completions.",
        ProviderKinds.AzureOpenAI => "Azure OpenAI: the resource's endpoint; a target's model is the deployment name. Needs an api-version.",
        ProviderKinds.Anthropic => "Anthropic's Messages API, called with x-api-key.",
        ProviderKinds.Gemini => "Google's Gemini API (Generative Language), called with x-goog-api-key.",
        _ => "",
    };

    public static string UrlExample(string kind) => kind switch
    {
        ProviderKinds.AzureOpenAI => "https://<resource>.openai.azure.com",
        ProviderKinds.Anthropic => "https://api.anthropic.com",
        ProviderKinds.Gemini => "https://generativelanguage.googleapis.com",
        _ => "https://api.openai.com/v1",
    };
}
