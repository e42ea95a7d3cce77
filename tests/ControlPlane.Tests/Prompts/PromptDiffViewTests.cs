using Bunit;
using ControlPlane.Features.Prompts;
using ControlPlane.Tests.Components;

namespace ControlPlane.Tests.Prompts;

/// <summary>The diff tab in bUnit: the newest version against the one before, inline then side by side.</summary>
public sealed class PromptDiffViewTests : MudContext
{
    [Fact]
    public void The_newest_version_is_compared_with_the_one_before_inline_and_side_by_side()
    {
        var promptId = Guid.NewGuid();
        PromptVersion Version(int number, string system, string? parameters) => new()
        {
            Id = Guid.NewGuid(), PromptId = promptId, Number = number, Author = "leo.lead@acme.test", ChangeNote = $"v{number}", CreatedAt = new DateTime(2026, 1, number, 0, 0, 0, DateTimeKind.Utc),
            Messages = PromptTemplate.Serialize([new("system", system), new("user", "{{question}}")]), Model = "gpt-4o-mini", Parameters = parameters,
        };
        var detail = new PromptDetail(
            new Prompt { Id = promptId, Name = "support-reply", OwnerTeamId = Guid.NewGuid(), CreatedBy = "leo.lead@acme.test" }, "Platform",
            [Version(2, "Be brief.\nSay hello warmly.", """{"temperature": 0.2}"""), Version(1, "Be brief.\nSay hello.", null)], [], [], CanEdit: false, null, "mia.member@acme.test");

        var cut = Render<PromptDiffView>(p => p.Add(c => c.Detail, detail));

        var inserted = cut.FindAll("[data-testid=diff-inline] [data-change=inserted]").Select(e => e.TextContent.Trim()).ToList();
        var deleted = cut.FindAll("[data-testid=diff-inline] [data-change=deleted]").Select(e => e.TextContent.Trim()).ToList();
        Assert.Contains("+ Say hello warmly.", inserted);
        Assert.Contains("- Say hello.", deleted);
        Assert.Contains(inserted, l => l.Contains("\"temperature\": 0.2", StringComparison.Ordinal));
        Assert.Contains(cut.FindAll("[data-testid=diff-inline] [data-change=unchanged]"), e => e.TextContent.Contains("Be brief.", StringComparison.Ordinal));

        cut.FindAll("button").First(b => b.TextContent.Contains("Side by side", StringComparison.Ordinal)).Click();

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=diff-side-by-side]").Count));
        Assert.Empty(cut.FindAll("[data-testid=diff-inline]"));
        Assert.Contains(cut.FindAll("[data-change=modified]"), e => e.TextContent.Contains("Say hello warmly.", StringComparison.Ordinal));
    }
}
