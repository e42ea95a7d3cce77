using ControlPlane.Features.People;
using ControlPlane.Features.Prompts;
using ControlPlane.Infrastructure.Data;

namespace ControlPlane.Features.Demo;

/// <summary>
/// The demo's prompt registry: Platform's "support-reply" (v1 in production, v2 in staging, Leo's production move to v2
/// waiting for an Admin's approval: Leo wrote v2) and Research's shared "summarize" (one version in production); some of Platform's demo calls
/// rendered support-reply, so its metrics show something. Runs on the calls <see cref="DemoGateway"/> just added.
/// </summary>
internal static class DemoPrompts
{
    public static void Seed(ControlPlaneDb db, IReadOnlyDictionary<string, User> users, Guid platform, Guid research, DateTime now)
    {
        var leo = users["leo.lead@acme.test"];
        var rita = users["rita.research@acme.test"];

        var support = Prompt("support-reply", "Answers a customer's support question in the product's voice.", platform, false, leo, now.AddDays(-20));
        var v1 = Version(support, 1, leo, now.AddDays(-20), "First version",
            [new("system", "You are the support assistant of {{product}}. Answer politely and briefly."), new("user", "{{question}}")],
            "gpt-4o-mini", """{"temperature": 0.3, "max_tokens": 400}""");
        var v2 = Version(support, 2, leo, now.AddDays(-3), "Ask for the order number when the question is about a delivery",
            [new("system", "You are the support assistant of {{product}}. Answer politely and briefly.\nIf the question is about a delivery, ask for the order number."), new("user", "{{question}}")],
            "gpt-4o-mini", """{"temperature": 0.2, "max_tokens": 400}""");
        Label(support, PromptLabel.Production, v1, leo, now.AddDays(-19), null);
        Label(support, PromptLabel.Staging, v2, leo, now.AddDays(-3), null);
        db.PromptLabelMoves.Add(new PromptLabelMove
        {
            Id = Guid.CreateVersion7(), PromptId = support.Id, Label = PromptLabel.Production, FromVersionId = v1.Id, ToVersionId = v2.Id,
            State = LabelMoveStates.Pending, Note = "Staging looked good for three days", RequestedById = leo.Id, RequestedBy = leo.Email, RequestedAt = now.AddHours(-5),
        });

        var summarize = Prompt("summarize", "Summarizes a document in a few bullet points.", research, true, rita, now.AddDays(-10));
        var s1 = Version(summarize, 1, rita, now.AddDays(-10), "First version",
            [new("system", "Summarize the text the user gives in at most {{bullets}} bullet points.")], "claude-haiku", null);
        Label(summarize, PromptLabel.Production, s1, rita, now.AddDays(-10), null);

        // Platform's recent successful calls rendered support-reply: v1 before v2 existed, then both.
        var calls = db.Calls.Local.Where(c => c.TeamId == platform && c.Status == 200 && c.At >= now.AddDays(-20)).OrderBy(c => c.At).ToList();
        for (var i = 0; i < calls.Count; i += 3)
        {
            var version = calls[i].At >= v2.CreatedAt && i % 2 == 0 ? v2 : v1;
            calls[i].PromptVersionId = version.Id;
            calls[i].PromptLabel = version == v1 ? PromptLabel.Production : PromptLabel.Staging;
        }

        Prompt Prompt(string name, string description, Guid team, bool shared, User by, DateTime at)
        {
            var p = new Prompt { Id = Guid.CreateVersion7(), Name = name, Description = description, OwnerTeamId = team, RequiresApproval = true, Shared = shared, CreatedAt = at, CreatedBy = by.Email };
            db.Prompts.Add(p);
            return p;
        }

        PromptVersion Version(Prompt p, int number, User by, DateTime at, string note, List<PromptMessage> messages, string? model, string? parameters)
        {
            var v = new PromptVersion
            {
                Id = Guid.CreateVersion7(), PromptId = p.Id, Number = number, Messages = PromptTemplate.Serialize(messages), Model = model,
                Parameters = parameters, ChangeNote = note, AuthorId = by.Id, Author = by.Email, CreatedAt = at,
            };
            db.PromptVersions.Add(v);
            return v;
        }

        void Label(Prompt p, string name, PromptVersion v, User by, DateTime at, Guid? from)
        {
            db.PromptLabels.Add(new PromptLabel { Id = Guid.CreateVersion7(), PromptId = p.Id, Name = name, VersionId = v.Id, MovedAt = at, MovedBy = by.Email });
            db.PromptLabelMoves.Add(new PromptLabelMove
            {
                Id = Guid.CreateVersion7(), PromptId = p.Id, Label = name, FromVersionId = from, ToVersionId = v.Id, State = LabelMoveStates.Applied,
                RequestedById = by.Id, RequestedBy = by.Email, RequestedAt = at, DecidedAt = at,
            });
        }
    }
}
