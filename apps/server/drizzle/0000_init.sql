CREATE TABLE `document_ops` (
	`doc_id` text NOT NULL,
	`version` integer NOT NULL,
	`delta` text NOT NULL,
	`client_id` text NOT NULL,
	`seq` integer NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`doc_id`, `version`)
);
--> statement-breakpoint
CREATE TABLE `documents` (
	`id` text PRIMARY KEY NOT NULL,
	`data` text NOT NULL,
	`version` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
