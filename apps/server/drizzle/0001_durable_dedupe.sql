ALTER TABLE `document_ops` ADD `content_hash` text;--> statement-breakpoint
CREATE UNIQUE INDEX `document_ops_op_id` ON `document_ops` (`doc_id`,`client_id`,`seq`);