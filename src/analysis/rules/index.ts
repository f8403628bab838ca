import type { Rule } from "../types.ts";
import { addingSerialPrimaryKeyField } from "./adding-serial-primary-key-field.ts";
import { banAlterDomainWithAddConstraint } from "./ban-alter-domain-with-add-constraint.ts";
import { banCharField } from "./ban-char-field.ts";
import { banCreateDomainWithConstraint } from "./ban-create-domain-with-constraint.ts";
import { banDropDatabase } from "./ban-drop-database.ts";
import { identifierTooLong } from "./identifier-too-long.ts";
import { preferIdentity } from "./prefer-identity.ts";
import { requireConcurrentIndexDeletion } from "./require-concurrent-index-deletion.ts";
import { requireConcurrentPartitionDetach } from "./require-concurrent-partition-detach.ts";
import { requireConcurrentReindex } from "./require-concurrent-reindex.ts";
import { requireEnumValueOrdering } from "./require-enum-value-ordering.ts";
import { addingConstraintWithoutNotValid } from "./adding-constraint-without-not-valid.ts";
import { addingFieldWithVolatileDefault } from "./adding-field-with-volatile-default.ts";
import { addingNotNullableField } from "./adding-not-nullable-field.ts";
import { addingUniqueConstraintWithoutIndex } from "./adding-unique-constraint-without-index.ts";
import { banCluster } from "./ban-cluster.ts";
import { banLockTable } from "./ban-lock-table.ts";
import { banTruncate } from "./ban-truncate.ts";
import { banVacuumFull } from "./ban-vacuum-full.ts";
import { changingColumnType } from "./changing-column-type.ts";
import { concurrentIndexWithoutIfNotExists } from "./concurrent-index-without-if-not-exists.ts";
import { ddlWithoutRollbackFile } from "./ddl-without-rollback-file.ts";
import { droppingColumnOrTable } from "./dropping-column-or-table.ts";
import { mixingNonTransactionalStatements } from "./mixing-non-transactional-statements.ts";
import { preferSetLocal } from "./prefer-set-local.ts";
import { backfillInSameTransaction } from "./backfill-in-same-transaction.ts";
import { copyFromStdin } from "./copy-from-stdin.ts";
import { enumValueUsedInSameFile } from "./enum-value-used-in-same-file.ts";
import { validatingConstraintInSameTransaction } from "./validating-constraint-in-same-transaction.ts";
import { preferBigintKeys } from "./prefer-bigint-keys.ts";
import { preferTextOverVarchar } from "./prefer-text-over-varchar.ts";
import { preferTimestamptz } from "./prefer-timestamptz.ts";
import { renamingColumnOrTable } from "./renaming-column-or-table.ts";
import { requireConcurrentIndexCreation } from "./require-concurrent-index-creation.ts";
import { rollbackDoesNotUndo } from "./rollback-does-not-undo.ts";
import { rollbackDropWithoutIfExists } from "./rollback-drop-without-if-exists.ts";
import { settingNotNullWithoutCheck } from "./setting-not-null-without-check.ts";
import { transactionControlInFile } from "./transaction-control-in-file.ts";
import { unboundedUpdateOrDelete } from "./unbounded-update-or-delete.ts";

/** Every lint rule, one file each, named after its id. */
export const RULES: readonly Rule[] = [
  requireConcurrentIndexCreation,
  requireConcurrentIndexDeletion,
  requireConcurrentReindex,
  requireConcurrentPartitionDetach,
  addingSerialPrimaryKeyField,
  banDropDatabase,
  banAlterDomainWithAddConstraint,
  banCreateDomainWithConstraint,
  identifierTooLong,
  preferIdentity,
  banCharField,
  addingNotNullableField,
  addingFieldWithVolatileDefault,
  changingColumnType,
  settingNotNullWithoutCheck,
  addingConstraintWithoutNotValid,
  addingUniqueConstraintWithoutIndex,
  renamingColumnOrTable,
  droppingColumnOrTable,
  rollbackDropWithoutIfExists,
  banVacuumFull,
  banCluster,
  banLockTable,
  banTruncate,
  unboundedUpdateOrDelete,
  transactionControlInFile,
  preferSetLocal,
  enumValueUsedInSameFile,
  requireEnumValueOrdering,
  copyFromStdin,
  validatingConstraintInSameTransaction,
  backfillInSameTransaction,
  mixingNonTransactionalStatements,
  concurrentIndexWithoutIfNotExists,
  preferBigintKeys,
  preferTextOverVarchar,
  preferTimestamptz,
  ddlWithoutRollbackFile,
  rollbackDoesNotUndo,
];

export const RULE_IDS: ReadonlySet<string> = new Set(RULES.map((rule) => rule.id));
