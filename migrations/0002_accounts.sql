CREATE TABLE `accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`network` text NOT NULL,
	`label` text NOT NULL,
	`remote` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`next_poll_at` integer,
	FOREIGN KEY (`owner`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `accounts_owner` ON `accounts` (`owner`);--> statement-breakpoint
CREATE INDEX `accounts_next_poll` ON `accounts` (`next_poll_at`);