CREATE TABLE `document_entries` (
	`doc_id` text PRIMARY KEY NOT NULL,
	`owner_id` text,
	`title` text,
	`first_line` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_edit_at` integer NOT NULL,
	`last_editor_name` text,
	`trashed_at` integer,
	`deleted_at` integer
);
--> statement-breakpoint
CREATE INDEX `document_entries_owner` ON `document_entries` (`owner_id`);--> statement-breakpoint
CREATE TABLE `document_visits` (
	`principal_id` text NOT NULL,
	`doc_id` text NOT NULL,
	`opened_at` integer NOT NULL,
	PRIMARY KEY(`principal_id`, `doc_id`)
);
