"""innovation archive and import jobs: projects with milestones, awards, voucher budgets and
applications, the credit pool with loans and their events (issue #8), the four new import
kinds, and the background-job state of an import batch (issue #10)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 11:14:17.323732

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

KINDS = ('firms', 'recognitions', 'institutions', 'teams', 'annual')
NEW_KINDS = ('projects', 'awards', 'vouchers', 'loans')


def _quoted(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


def upgrade():
    op.create_table('credit_pools',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('size', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('max_loan', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('compensation_rate', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('eligible_programmes', sa.JSON(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('compensation_rate >= 0 AND compensation_rate <= 100', name=op.f('ck_credit_pools_rate_percent')),
    sa.CheckConstraint('max_loan IS NULL OR max_loan > 0', name=op.f('ck_credit_pools_max_loan_positive')),
    sa.CheckConstraint('size >= 0', name=op.f('ck_credit_pools_size_nonneg')),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_credit_pools'))
    )
    op.create_table('voucher_budgets',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_voucher_budgets_amount_nonneg')),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_voucher_budgets'))
    )
    op.create_table('awards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('project_name', sa.String(length=200), nullable=False),
    sa.Column('award', sa.String(length=100), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('grade', sa.String(length=16), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('firm_rank', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("grade IN ('special', 'first', 'second', 'third')", name=op.f('ck_awards_grade')),
    sa.CheckConstraint("level IN ('national', 'provincial', 'ningbo', 'cixi')", name=op.f('ck_awards_level')),
    sa.CheckConstraint('firm_rank IS NULL OR firm_rank >= 1', name=op.f('ck_awards_rank_positive')),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_awards_firm_id_firms')),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batches.id'], name=op.f('fk_awards_import_batch_id_import_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_awards')),
    sa.UniqueConstraint('firm_id', 'project_name', 'award', 'year', name=op.f('uq_awards_firm_id_project_name_award_year'))
    )
    with op.batch_alter_table('awards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_awards_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_awards_year'), ['year'], unique=False)

    op.create_table('credit_loans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('pool_year', sa.Integer(), nullable=False),
    sa.Column('bank', sa.String(length=100), nullable=False),
    sa.Column('credit_line', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('loan_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('outstanding', 'repaid', 'overdue', 'compensated')", name=op.f('ck_credit_loans_status')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_credit_loans_amount_positive')),
    sa.CheckConstraint('credit_line IS NULL OR credit_line >= 0', name=op.f('ck_credit_loans_credit_line_nonneg')),
    sa.CheckConstraint('due_on IS NULL OR due_on >= loan_on', name=op.f('ck_credit_loans_dates_ordered')),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_credit_loans_firm_id_firms')),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batches.id'], name=op.f('fk_credit_loans_import_batch_id_import_batches')),
    sa.ForeignKeyConstraint(['pool_year'], ['credit_pools.year'], name=op.f('fk_credit_loans_pool_year_credit_pools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_loans'))
    )
    with op.batch_alter_table('credit_loans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_loans_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credit_loans_pool_year'), ['pool_year'], unique=False)

    op.create_table('projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('project_no', sa.String(length=64), nullable=True),
    sa.Column('plan', sa.String(length=100), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('start_year', sa.Integer(), nullable=False),
    sa.Column('end_year', sa.Integer(), nullable=True),
    sa.Column('funding', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('acceptance_year', sa.Integer(), nullable=True),
    sa.Column('acceptance_result', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("acceptance_result IS NULL OR acceptance_result IN ('excellent', 'passed', 'failed')", name=op.f('ck_projects_acceptance_result')),
    sa.CheckConstraint("level IN ('national', 'provincial', 'ningbo', 'cixi')", name=op.f('ck_projects_level')),
    sa.CheckConstraint("role IN ('lead', 'participant')", name=op.f('ck_projects_role')),
    sa.CheckConstraint("status IN ('in_progress', 'completed', 'terminated')", name=op.f('ck_projects_status')),
    sa.CheckConstraint('end_year IS NULL OR end_year >= start_year', name=op.f('ck_projects_years_ordered')),
    sa.CheckConstraint('funding IS NULL OR funding >= 0', name=op.f('ck_projects_funding_nonneg')),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_projects_firm_id_firms')),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batches.id'], name=op.f('fk_projects_import_batch_id_import_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_projects')),
    sa.UniqueConstraint('firm_id', 'name', 'start_year', name=op.f('uq_projects_firm_id_name_start_year'))
    )
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_projects_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_projects_start_year'), ['start_year'], unique=False)

    op.create_table('voucher_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=200), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('requested', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('issued', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('redeemed', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('redeemed_on', sa.Date(), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('review_comment', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("purpose IN ('cooperation', 'testing', 'consulting', 'design', 'other')", name=op.f('ck_voucher_applications_purpose')),
    sa.CheckConstraint("status IN ('submitted', 'approved', 'rejected', 'redeemed')", name=op.f('ck_voucher_applications_status')),
    sa.CheckConstraint('issued IS NULL OR issued >= 0', name=op.f('ck_voucher_applications_issued_nonneg')),
    sa.CheckConstraint('redeemed IS NULL OR redeemed >= 0', name=op.f('ck_voucher_applications_redeemed_nonneg')),
    sa.CheckConstraint('requested >= 0', name=op.f('ck_voucher_applications_requested_nonneg')),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_voucher_applications_firm_id_firms')),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batches.id'], name=op.f('fk_voucher_applications_import_batch_id_import_batches')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_voucher_applications_reviewed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_applications'))
    )
    with op.batch_alter_table('voucher_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voucher_applications_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_voucher_applications_year'), ['year'], unique=False)

    op.create_table('credit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('repayment', 'compensation', 'recovery')", name=op.f('ck_credit_events_kind')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_credit_events_amount_positive')),
    sa.ForeignKeyConstraint(['loan_id'], ['credit_loans.id'], name=op.f('fk_credit_events_loan_id_credit_loans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_events'))
    )
    with op.batch_alter_table('credit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_events_loan_id'), ['loan_id'], unique=False)

    op.create_table('project_milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('result', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('milestone', 'midterm', 'acceptance')", name=op.f('ck_project_milestones_kind')),
    sa.CheckConstraint("result IS NULL OR result IN ('excellent', 'passed', 'failed')", name=op.f('ck_project_milestones_result')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_milestones_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_milestones'))
    )
    with op.batch_alter_table('project_milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_milestones_project_id'), ['project_id'], unique=False)

    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('job_status', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('job_phase', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('job_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('progress_done', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('progress_total', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('job_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('job_updated_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('result', sa.JSON(), nullable=True))
        batch_op.drop_constraint(op.f('ck_import_batches_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_import_batches_kind'), f"kind IN ({_quoted(KINDS + NEW_KINDS)})")
        batch_op.create_check_constraint(
            op.f('ck_import_batches_job_status'),
            "job_status IS NULL OR job_status IN ('queued', 'running', 'done', 'failed')")
        batch_op.create_check_constraint(
            op.f('ck_import_batches_job_phase'), "job_phase IS NULL OR job_phase IN ('plan', 'apply')")



def downgrade():
    op.drop_table('project_milestones')
    op.drop_table('credit_events')
    op.drop_table('voucher_applications')
    op.drop_table('projects')
    op.drop_table('credit_loans')
    op.drop_table('awards')
    op.drop_table('voucher_budgets')
    op.drop_table('credit_pools')
    op.execute(sa.text("DELETE FROM import_batches WHERE kind IN (%s)" % _quoted(NEW_KINDS)))
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_import_batches_job_phase'), type_='check')
        batch_op.drop_constraint(op.f('ck_import_batches_job_status'), type_='check')
        batch_op.drop_constraint(op.f('ck_import_batches_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_import_batches_kind'), f"kind IN ({_quoted(KINDS)})")
        batch_op.drop_column('result')
        batch_op.drop_column('job_updated_at')
        batch_op.drop_column('job_error')
        batch_op.drop_column('progress_total')
        batch_op.drop_column('progress_done')
        batch_op.drop_column('job_id')
        batch_op.drop_column('job_phase')
        batch_op.drop_column('job_status')
