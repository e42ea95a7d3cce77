using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Features.Transfers;

/// <summary>The "Transfers" section: when a request needs two approvers and how long it may wait.</summary>
public sealed class TransferOptions
{
    public const string Section = "Transfers";

    /// <summary>A transfer of more than this (USD) needs two different approvers.</summary>
    [Range(typeof(decimal), "0", "1000000000")]
    public decimal TwoApproverAbove { get; set; } = 1000m;

    /// <summary>A request nobody decided within this expires.</summary>
    public TimeSpan PendingFor { get; set; } = TimeSpan.FromHours(48);
}
