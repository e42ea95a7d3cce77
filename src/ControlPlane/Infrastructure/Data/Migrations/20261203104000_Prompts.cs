using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>
/// The prompt registry (Features/Prompts): prompts, their immutable versions, labels and label moves; and on each call
/// the prompt version it rendered and the label it named (both null for calls that named no prompt).
/// </summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261203104000_Prompts")]
public sealed class Prompts : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "prompts",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                name = table.Column<string>(maxLength: 100, nullable: false),
                description = table.Column<string>(maxLength: 500, nullable: true),
                owner_team_id = table.Column<Guid>(nullable: false),
                requires_approval = table.Column<bool>(nullable: false),
                shared = table.Column<bool>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
                created_by = table.Column<string>(maxLength: 200, nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_prompts", x => x.id));
        migrationBuilder.CreateIndex("IX_prompts_name", "prompts", "name", unique: true);
        migrationBuilder.CreateIndex("IX_prompts_owner_team_id", "prompts", "owner_team_id");

        migrationBuilder.CreateTable(
            name: "prompt_versions",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                prompt_id = table.Column<Guid>(nullable: false),
                number = table.Column<int>(nullable: false),
                messages = table.Column<string>(nullable: false),
                model = table.Column<string>(maxLength: 200, nullable: true),
                parameters = table.Column<string>(nullable: true),
                change_note = table.Column<string>(maxLength: 500, nullable: false),
                author_id = table.Column<Guid>(nullable: true),
                author = table.Column<string>(maxLength: 200, nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_prompt_versions", x => x.id);
                table.ForeignKey("FK_prompt_versions_prompts_prompt_id", x => x.prompt_id, "prompts", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_prompt_versions_prompt_id_number", "prompt_versions", ["prompt_id", "number"], unique: true);

        migrationBuilder.CreateTable(
            name: "prompt_labels",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                prompt_id = table.Column<Guid>(nullable: false),
                name = table.Column<string>(maxLength: 40, nullable: false),
                version_id = table.Column<Guid>(nullable: false),
                moved_at = table.Column<DateTime>(nullable: false),
                moved_by = table.Column<string>(maxLength: 200, nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_prompt_labels", x => x.id);
                table.ForeignKey("FK_prompt_labels_prompts_prompt_id", x => x.prompt_id, "prompts", "id", onDelete: ReferentialAction.Cascade);
                // Restrict, not cascade: SQL Server refuses two cascade paths from prompts to the same row.
                table.ForeignKey("FK_prompt_labels_prompt_versions_version_id", x => x.version_id, "prompt_versions", "id", onDelete: ReferentialAction.Restrict);
            });
        migrationBuilder.CreateIndex("IX_prompt_labels_prompt_id_name", "prompt_labels", ["prompt_id", "name"], unique: true);
        migrationBuilder.CreateIndex("IX_prompt_labels_version_id", "prompt_labels", "version_id");

        migrationBuilder.CreateTable(
            name: "prompt_label_moves",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                prompt_id = table.Column<Guid>(nullable: false),
                label = table.Column<string>(maxLength: 40, nullable: false),
                from_version_id = table.Column<Guid>(nullable: true),
                to_version_id = table.Column<Guid>(nullable: false),
                state = table.Column<string>(maxLength: 16, nullable: false),
                note = table.Column<string>(maxLength: 500, nullable: true),
                requested_by_id = table.Column<Guid>(nullable: true),
                requested_by = table.Column<string>(maxLength: 200, nullable: false),
                requested_at = table.Column<DateTime>(nullable: false),
                decided_by = table.Column<string>(maxLength: 200, nullable: true),
                decided_at = table.Column<DateTime>(nullable: true),
                comment = table.Column<string>(maxLength: 500, nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_prompt_label_moves", x => x.id);
                table.ForeignKey("FK_prompt_label_moves_prompts_prompt_id", x => x.prompt_id, "prompts", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_prompt_label_moves_prompt_id_requested_at", "prompt_label_moves", ["prompt_id", "requested_at"]);

        // The call log keeps which version a call rendered (no foreign key: the log outlives what it names).
        migrationBuilder.AddColumn<Guid>("prompt_version_id", "calls", nullable: true);
        migrationBuilder.AddColumn<string>("prompt_label", "calls", maxLength: 40, nullable: true);
        migrationBuilder.CreateIndex("IX_calls_prompt_version_id_at", "calls", ["prompt_version_id", "at"]);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex("IX_calls_prompt_version_id_at", "calls");
        migrationBuilder.DropColumn("prompt_label", "calls");
        migrationBuilder.DropColumn("prompt_version_id", "calls");
        migrationBuilder.DropTable("prompt_label_moves");
        migrationBuilder.DropTable("prompt_labels");
        migrationBuilder.DropTable("prompt_versions");
        migrationBuilder.DropTable("prompts");
    }
}
