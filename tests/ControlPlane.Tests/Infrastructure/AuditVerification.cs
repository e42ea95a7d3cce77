using ControlPlane.Features.Audit;
using ControlPlane.Infrastructure.Data;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Infrastructure;

public static class AuditVerification
{
    /// <summary>The first entry verification rejects (null: intact), as the Audit page and the CLI see it.</summary>
    public static async Task<long?> FirstBadAuditEntryAsync(this AppFactory app, ControlPlaneDb db) =>
        (await app.Services.GetRequiredService<AuditLog>().VerifyAsync(db)).FirstBadSequence;
}
