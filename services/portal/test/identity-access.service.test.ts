import { AppError } from '@citus/kit';
import { identityFixture, type IdentityFixture } from './support/identity-fixture.js';

describe('IdentityService.resolve', () => {
  let fixture: IdentityFixture;
  beforeEach(async () => {
    fixture = await identityFixture();
    fixture.service.createWorkspace({ slug: 'default', name: 'Default workspace' });
  });
  afterEach(() => fixture.destroy());

  it('acts in the default workspace when none is named', async () => {
    const ann = await fixture.person('ann', { memberships: { lab: 'admin', default: 'user' } });
    expect((await ann.access()).workspace).toMatchObject({ slug: 'default', role: 'user' });
  });

  it('acts in the named workspace with the role held there', async () => {
    const ann = await fixture.person('ann', { memberships: { lab: 'admin', default: 'user' } });
    expect((await ann.access('lab')).workspace).toMatchObject({ slug: 'lab', role: 'admin' });
  });

  it("falls back to the caller's first workspace when it is not in default", async () => {
    const ann = await fixture.person('ann', { memberships: { zoo: 'user', lab: 'developer' } });
    expect((await ann.access()).workspace).toMatchObject({ slug: 'lab', role: 'developer' });
  });

  it('gives no workspace to a user without memberships', async () => {
    const ann = await fixture.person('ann');
    expect((await ann.access()).workspace).toBeNull();
  });

  it.each(['lab', 'does-not-exist'])('answers not_found for the workspace %p the caller is not in', async (slug) => {
    fixture.service.createWorkspace({ slug: 'lab', name: 'Lab' });
    const ann = await fixture.person('ann', { memberships: { default: 'admin' } });
    const attempt = ann.access(slug);
    await expect(attempt).rejects.toBeInstanceOf(AppError);
    await expect(attempt).rejects.toMatchObject({ code: 'not_found', message: 'workspace not found' });
  });

  it('answers null for a subject that is no user', async () => {
    expect(await fixture.service.resolve('usr_nobody', undefined)).toBeNull();
  });

  it('lets a platform admin act as admin in a workspace it does not belong to', async () => {
    fixture.service.createWorkspace({ slug: 'lab', name: 'Lab' });
    const root = await fixture.person('root', { platformAdmin: true });
    expect((await root.access('lab')).workspace).toMatchObject({ slug: 'lab', role: 'admin' });
    expect((await root.access()).workspace).toMatchObject({ slug: 'default', role: 'admin' });
  });

  // The docs say platform admins act as admins anywhere, but a lower membership role wins.
  it('lets a platform admin act as admin where it is only a plain member', async () => {
    const root = await fixture.person('root', { platformAdmin: true, memberships: { lab: 'user' } });
    expect((await root.access('lab')).workspace).toMatchObject({ slug: 'lab', role: 'admin' });
  });
});

describe('IdentityService memberships', () => {
  let fixture: IdentityFixture;
  beforeEach(async () => {
    fixture = await identityFixture();
    fixture.service.createWorkspace({ slug: 'default', name: 'Default workspace' });
  });
  afterEach(() => fixture.destroy());

  it('lets a workspace admin add a member and change its role', async () => {
    const boss = await fixture.person('boss', { memberships: { lab: 'admin' } });
    const ann = await fixture.person('ann');
    const access = await boss.access('lab');
    expect(fixture.service.addMember(access, 'lab', { userId: ann.id, role: 'user' })).toMatchObject({ workspaceSlug: 'lab', role: 'user' });
    fixture.service.addMember(access, 'lab', { userId: ann.id, role: 'developer' });
    expect((await ann.access('lab')).workspace).toMatchObject({ role: 'developer' });
  });

  it.each(['user', 'developer'] as const)('forbids a %s of the workspace to add members', async (role) => {
    const member = await fixture.person('member', { memberships: { lab: role } });
    const ann = await fixture.person('ann');
    const attempt = async () => fixture.service.addMember(await member.access('lab'), 'lab', { userId: ann.id, role: 'admin' });
    await expect(attempt()).rejects.toMatchObject({ code: 'forbidden' });
    await expect(ann.access('lab')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('answers not_found to an admin of another workspace', async () => {
    fixture.service.createWorkspace({ slug: 'lab', name: 'Lab' });
    const other = await fixture.person('other', { memberships: { zoo: 'admin' } });
    const ann = await fixture.person('ann');
    const access = await other.access('zoo');
    expect(() => fixture.service.addMember(access, 'lab', { userId: ann.id, role: 'user' })).toThrow(
      expect.objectContaining({ code: 'not_found' }),
    );
  });

  it('lets a platform admin add members anywhere, but not unknown users', async () => {
    fixture.service.createWorkspace({ slug: 'lab', name: 'Lab' });
    const root = await fixture.person('root', { platformAdmin: true });
    const ann = await fixture.person('ann');
    const access = await root.access();
    expect(fixture.service.addMember(access, 'lab', { userId: ann.id, role: 'admin' })).toMatchObject({ role: 'admin' });
    expect(() => fixture.service.addMember(access, 'lab', { userId: 'usr_nobody', role: 'user' })).toThrow(
      expect.objectContaining({ code: 'not_found', message: 'user not found' }),
    );
  });

  it('lists every workspace to a platform admin and only their own to others', async () => {
    const root = await fixture.person('root', { platformAdmin: true });
    const ann = await fixture.person('ann', { memberships: { lab: 'user' } });
    fixture.service.createWorkspace({ slug: 'zoo', name: 'Zoo' });
    expect(fixture.service.listWorkspaces(await root.access()).map((w) => w.slug)).toEqual(['default', 'lab', 'zoo']);
    expect(fixture.service.listWorkspaces(await ann.access()).map((w) => w.slug)).toEqual(['lab']);
  });
});
