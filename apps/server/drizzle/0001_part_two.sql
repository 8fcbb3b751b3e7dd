CREATE TABLE `authors` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`color` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `browser_sessions` (
	`secret_hash` text PRIMARY KEY NOT NULL,
	`author_id` text NOT NULL,
	`name` text,
	`color` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `document_access` (
	`doc_id` text PRIMARY KEY NOT NULL,
	`owner_id` text,
	`general_access` text NOT NULL,
	`viewer_key` text,
	`editor_key` text,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
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
CREATE TABLE `document_images` (
	`doc_id` text NOT NULL,
	`image_id` text NOT NULL,
	`content_type` text NOT NULL,
	`data` blob NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`doc_id`, `image_id`)
);
--> statement-breakpoint
CREATE TABLE `document_snapshots` (
	`doc_id` text NOT NULL,
	`version` integer NOT NULL,
	`data` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`doc_id`, `version`)
);
--> statement-breakpoint
CREATE TABLE `document_visits` (
	`principal_id` text NOT NULL,
	`doc_id` text NOT NULL,
	`opened_at` integer NOT NULL,
	PRIMARY KEY(`principal_id`, `doc_id`)
);
--> statement-breakpoint
CREATE TABLE `named_versions` (
	`doc_id` text NOT NULL,
	`version` integer NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`doc_id`, `version`)
);
--> statement-breakpoint
ALTER TABLE `document_ops` ADD `content_hash` text;--> statement-breakpoint
CREATE UNIQUE INDEX `document_ops_op_id` ON `document_ops` (`doc_id`,`client_id`,`seq`);