using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ControlPlane.Features.Prompts;

namespace ControlPlane.Tests.Prompts;

/// <summary>Rendering, references and the body rewrite the gateway does, without a server.</summary>
public sealed class PromptTemplateTests
{
    private static readonly IReadOnlyList<PromptMessage> Support =
        [new("system", "You support {{product}}. Be {{ tone }}."), new("user", "{{question}}")];

    [Fact]
    public void Variables_are_found_once_each_in_order_of_first_use()
    {
        Assert.Equal(["product", "tone", "question"], PromptTemplate.VariablesOf([.. Support, new("user", "{{product}} again")]));
    }

    [Fact]
    public void Rendering_puts_each_value_in_and_never_renders_a_value_again()
    {
        var (rendered, missing) = PromptTemplate.Render(Support, new Dictionary<string, string>
        {
            ["product"] = "Acme", ["tone"] = "brief", ["question"] = "Where is {{product}}?",
        });

        Assert.Null(missing);
        Assert.Equal("You support Acme. Be brief.", rendered![0].Content);
        Assert.Equal("Where is {{product}}?", rendered[1].Content);
        Assert.Equal(["system", "user"], rendered.Select(m => m.Role));
    }

    [Fact]
    public void A_missing_variable_is_named()
    {
        var (rendered, missing) = PromptTemplate.Render(Support, new Dictionary<string, string> { ["product"] = "Acme" });

        Assert.Null(rendered);
        Assert.Equal("tone", missing);
    }

    [Theory]
    [InlineData("""{"temperature": 0.2}""", null)]
    [InlineData("[1,2]", "must be a JSON object")]
    [InlineData("{not json", "not valid JSON")]
    [InlineData("""{"model": "x"}""", "may not set 'model'")]
    public void Parameters_must_be_a_json_object_without_messages_or_model(string json, string? problem)
    {
        var (_, found) = PromptTemplate.Parameters(json);
        if (problem is null) Assert.Null(found);
        else Assert.Contains(problem, found, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("support@production", "support", "production", null)]
    [InlineData("support@staging", "support", "staging", null)]
    [InlineData("support@v3", "support", null, 3)]
    [InlineData("support@3", "support", null, 3)]
    [InlineData("support", "support", "production", null)]
    public void The_header_names_a_prompt_and_a_label_or_version(string header, string name, string? label, int? version)
    {
        var (reference, problem) = PromptReference.Read(header, null);

        Assert.Null(problem);
        Assert.Equal((name, label, version), (reference!.Name, reference.Label, reference.Version));
    }

    [Fact]
    public void The_body_field_gives_variables_of_any_json_type_as_text()
    {
        using var doc = JsonDocument.Parse("""{"name":"support","version":2,"variables":{"a":"x","n":3,"b":true,"o":{"k":1},"gone":null}}""");

        var (reference, problem) = PromptReference.Read("", doc.RootElement);

        Assert.Null(problem);
        Assert.Equal(("support", (string?)null, (int?)2), (reference!.Name, reference.Label, reference.Version));
        Assert.Equal("x", reference.Variables["a"]);
        Assert.Equal("3", reference.Variables["n"]);
        Assert.Equal("true", reference.Variables["b"]);
        Assert.Equal("""{"k":1}""", reference.Variables["o"]);
        Assert.False(reference.Variables.ContainsKey("gone"));
    }

    [Theory]
    [InlineData("""{"version":1}""", "names no prompt")]
    [InlineData("""{"name":"a","label":"production","version":1}""", "not both")]
    [InlineData("""{"name":"a","version":"latest"}""", "version number")]
    [InlineData("""{"name":"a","variables":[1]}""", "must be an object")]
    [InlineData("42", "must be an object")]
    public void A_malformed_reference_says_what_is_wrong(string field, string problem)
    {
        using var doc = JsonDocument.Parse(field);

        var (reference, found) = PromptReference.Read("", doc.RootElement);

        Assert.Null(reference);
        Assert.Contains(problem, found, StringComparison.Ordinal);
    }

    [Fact]
    public void The_rewrite_puts_the_rendered_messages_first_drops_the_prompt_field_and_fills_only_what_the_caller_left_out()
    {
        using var doc = JsonDocument.Parse("""
            {"model":"","prompt":{"name":"support"},"messages":[{"role":"user","content":"and mine"}],"temperature":0.9,"max_completion_tokens":50,"user":"u1"}
            """);
        var version = new ServedVersion(Guid.NewGuid(), 2, [], "gpt-4o-mini", """{"temperature":0.2,"max_tokens":400,"top_p":0.5}""");

        var body = JsonNode.Parse(Encoding.UTF8.GetString(PromptStep.Rewrite(doc.RootElement, [new("system", "rendered")], version)))!.AsObject();

        Assert.False(body.ContainsKey("prompt"));
        Assert.Equal("gpt-4o-mini", body["model"]!.GetValue<string>());
        var messages = body["messages"]!.AsArray();
        Assert.Equal(["rendered", "and mine"], messages.Select(m => m!["content"]!.GetValue<string>()));
        Assert.Equal(0.9, body["temperature"]!.GetValue<double>()); // the caller's own value wins
        Assert.False(body.ContainsKey("max_tokens")); // the caller capped the output under the other name
        Assert.Equal(0.5, body["top_p"]!.GetValue<double>());
        Assert.Equal("u1", body["user"]!.GetValue<string>());
    }

    [Fact]
    public void A_body_without_messages_or_model_gets_the_versions()
    {
        using var doc = JsonDocument.Parse("""{"prompt":"support@production"}""");
        var version = new ServedVersion(Guid.NewGuid(), 1, [], "claude-haiku", null);

        var body = JsonNode.Parse(Encoding.UTF8.GetString(PromptStep.Rewrite(doc.RootElement, [new("user", "hi")], version)))!.AsObject();

        Assert.Equal("claude-haiku", body["model"]!.GetValue<string>());
        Assert.Equal("hi", body["messages"]![0]!["content"]!.GetValue<string>());
        Assert.Equal(2, body.Count);
    }

    [Theory]
    [InlineData("production", null)]
    [InlineData("canary-eu", null)]
    [InlineData("v3", "would read as a version")]
    [InlineData("Prod", "lower-case")]
    public void Label_names_are_checked(string label, string? problem)
    {
        var found = LabelNames.Problem(label);
        if (problem is null) Assert.Null(found);
        else Assert.Contains(problem, found, StringComparison.Ordinal);
    }

    [Fact]
    public void A_version_has_no_setter_once_created()
    {
        var settable = typeof(PromptVersion).GetProperties()
            .Where(p => p.SetMethod is { IsPublic: true } set && !set.ReturnParameter.GetRequiredCustomModifiers().Contains(typeof(System.Runtime.CompilerServices.IsExternalInit)))
            .Select(p => p.Name);
        Assert.Empty(settable);
    }
}
